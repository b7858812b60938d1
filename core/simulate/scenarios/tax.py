"""Tax and compliance (seed Q.2.8): Q-TC-01, Q-TC-02 and the landscaper hard negative, on Counterpoint
documents (PS_DOC_TAX one row per authority, TAX_COD; AR_CUST.IS_TAX_EXEMPT)."""

from __future__ import annotations

from datetime import timedelta

from core.simulate import pricing
from core.simulate.model import Line, Ticket
from core.simulate.scenarios import kit
from core.simulate.scenarios.base import HARD_NEGATIVE, POSITIVE, Planner
from core.simulate.verticals import JURISDICTIONS
from core.simulate.world import COUNTERPOINT, Customer, Jurisdiction, Store, TaxAuthority


def _neighbour(store: Store) -> Jurisdiction:
    """The other county of the store's state, without the city: a cheaper stack next door."""
    state, state_bp, counties, _cities, _zone = next(j for j in JURISDICTIONS if j[0] == store.state)
    home = store.jurisdiction.authorities[1].code if len(store.jurisdiction.authorities) > 1 else ""
    county, county_bp = next((c for c in counties if c[0] != home), counties[0])
    return Jurisdiction(
        f"{state}{county[:3]}",
        (TaxAuthority(state, state.title(), state_bp), TaxAuthority(county, county.title(), county_bp)),
    )


def tax_stack_mismatch(planner: Planner) -> None:
    """Q-TC-01: "every Document's tax stack compared to the store's expected jurisdiction stack and
    flag any mismatches (could indicate misconfiguration or tax-evasion)". A cashier switches two
    tickets to the neighbouring county's cheaper tax code."""
    store = planner.store(COUNTERPOINT)
    if store is None:
        return
    day = planner.day(0.3, 0.9, weekday=True)
    shift = planner.shift(store, day)
    stack = _neighbour(store)
    tickets: list[Ticket] = []
    for n in range(2):
        ticket = kit.sale(
            planner,
            f"tc01/{n}",
            shift,
            kit.within(planner, shift, 0.1 + 0.4 * n, 0.4 + 0.4 * n),
            kit.plain(planner, 3),
            method="CASH",
        )
        ticket.jurisdiction = stack
        pricing.finalize(ticket)
        kit.pay(planner, ticket, "CASH")
        tickets.append(ticket)
    planner.inject(store, day, *tickets)
    planner.label(
        "Q-TC-01",
        POSITIVE,
        kit.store_entity(store),
        tickets[0].at,
        tickets[-1].closed_at,
        store,
        tickets,
        note=f"TAX_COD {stack.code}, not {store.jurisdiction.code} (cashier {shift.employee.external_id})",
    )


def _exempt(planner: Planner, store: Store) -> Customer | None:
    people = [c for c in planner.world.customers_of(store.key, "LANDSCAPER") if c.tax_exempt]
    people = people or [c for c in planner.world.customers_of(store.key) if c.tax_exempt]
    return planner.rng.choice(people) if people else None


def exempt_walk_in(planner: Planner) -> None:
    """Q-TC-02: "tax-exempt-customer transactions pattern-matched against retail-walk-in shape
    (single-line, low-dollar, retail SKUs) and flag suspected exemption abuse". A landscaper's resale
    exemption used four times for a single gift or tool under $40."""
    store = planner.store(COUNTERPOINT)
    customer = _exempt(planner, store) if store else None
    if store is None or customer is None:
        planner.plan.skipped.append(planner.type)
        return
    retail = [
        i
        for i in planner.world.items
        if i.category in ("GIFTS", "TOOLS", "SEED", "HOME", "TOYS") and i.price <= 3500 and not i.mix_match
    ]
    tickets: list[Ticket] = []
    first = planner.day(0.1, 0.5)
    for n in range(4):
        day = first + timedelta(days=3 * n)
        if (day - planner.world.start).days >= planner.world.days:
            break
        shift = planner.shift(store, day)
        item = planner.rng.choice(retail)
        ticket = kit.sale(
            planner,
            f"tc02/{n}",
            shift,
            kit.within(planner, shift),
            [Line(item, 1, item.price, item.price)],
            customer,
            "CARD",
        )
        planner.inject(store, day, ticket)
        tickets.append(ticket)
    planner.label(
        "Q-TC-02",
        POSITIVE,
        kit.customer(customer),
        tickets[0].at,
        tickets[-1].closed_at,
        store,
        tickets,
        note="untaxed single-line retail tickets on a resale exemption",
    )


def landscaper_bulk_exempt(planner: Planner) -> None:
    """Hard negative for Q-TC-02: "a known landscaper's legitimate exempt purchases" — a many-line,
    trade-quantity job purchase, untaxed."""
    store = planner.store(COUNTERPOINT)
    customer = _exempt(planner, store) if store else None
    if store is None or customer is None:
        planner.plan.skipped.append(planner.type)
        return
    day = planner.day(weekday=True)
    shift = planner.shift(store, day, block=1)
    items = planner.rng.sample([i for i in planner.world.items if not i.mix_match], 6)
    lines = [pricing.line(planner.world, item, planner.rng.randint(6, 12), day, customer) for item in items]
    for line in lines:
        line.qty = min(line.qty, max(1, 9_900 // max(1, line.reg_price - line.price)))
    ticket = kit.sale(planner, "tc02-bulk", shift, kit.within(planner, shift), lines, customer, "ACCOUNT")
    planner.inject(store, day, ticket)
    planner.label(
        "Q-TC-02",
        HARD_NEGATIVE,
        kit.customer(customer),
        ticket.at,
        ticket.closed_at,
        store,
        [ticket],
        note="six-line trade purchase on a resale exemption",
    )


SCENARIOS = (tax_stack_mismatch, exempt_walk_in, landscaper_bulk_exempt)
