"""Customer tier (seed Q.2.9): Q-CT-01 and Q-CT-02 on Counterpoint customers (AR_CUST.CATEG_COD,
re-sent as GET /Customer responses when a tier changes) and their documents."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from core.simulate import pricing
from core.simulate.model import Line, Ticket
from core.simulate.movements import CustomerChange
from core.simulate.scenarios import kit
from core.simulate.scenarios.base import POSITIVE, Planner
from core.simulate.world import COUNTERPOINT


def trade_tier_retail_pattern(planner: Planner) -> None:
    """Q-CT-01: "any customer whose CATEG_COD = WHOLESALE/LANDSCAPER but transaction history matches
    retail (avg ticket < $X, single-line walk-in) flagged for tier review". A wholesale account (not
    tax-exempt) buys one small item at a time, six times in the window, at its wholesale price."""
    store = planner.store(COUNTERPOINT)
    if store is None:
        return
    world = planner.world
    trade = [c for c in world.customers_of(store.key, "WHOLESALE") if not c.tax_exempt] or [
        c for c in world.customers_of(store.key) if c.tier in ("WHOLESALE", "LANDSCAPER")
    ]
    if not trade:
        planner.plan.skipped.append(planner.type)
        return
    customer = planner.rng.choice(trade)
    planner.reserve(customer)
    small = [i for i in world.items if i.price <= 3000 and not i.mix_match]
    tickets: list[Ticket] = []
    for n in range(6):
        day = world.start + timedelta(days=min(world.days - 1, 2 + n * max(1, (world.days - 4) // 6)))
        shift = planner.shift(store, day)
        item = planner.rng.choice(small)
        line = pricing.line(world, item, 1, day, customer)
        ticket = kit.sale(planner, f"ct01/{n}", shift, kit.within(planner, shift), [line], customer, "CARD")
        planner.inject(store, day, ticket)
        tickets.append(ticket)
    planner.label(
        "Q-CT-01",
        POSITIVE,
        kit.customer(customer),
        tickets[0].at,
        tickets[-1].closed_at,
        store,
        tickets,
        also=("Q-TC-02",) if customer.tax_exempt else (),
        note=f"{customer.tier} account, six single-line tickets under $30 (review queue)",
        allowed_queue="review",
    )


def tier_change_before_purchase(planner: Planner) -> None:
    """Q-CT-02: "any tier change on a customer record within 72h of a large purchase flagged as
    Q-CT-02, distinguishing legitimate sales-rep promotions from same-day-upgrade-then-buy patterns".
    A manager moves a retail customer to WHOLESALE, the customer buys $1,200+ at wholesale prices the
    next day, and the tier goes back to RETAIL four days later."""
    store = planner.store(COUNTERPOINT)
    if store is None:
        return
    world = planner.world
    customer = planner.rng.choice(
        [
            c
            for c in world.customers_of(store.key, "RETAIL")
            if not c.tax_exempt and c.created_at.date() < world.start
        ]
    )
    manager = world.staff(store.key, "manager")[0]
    day = planner.day(0.2, 0.7, weekday=True)
    shift = planner.shift(store, day, block=2)
    upgraded = shift.start + timedelta(hours=1)
    promoted = CustomerChange(customer, upgraded - timedelta(hours=20), "WHOLESALE", manager)
    buyer = replace(customer, tier="WHOLESALE")
    dear = sorted((i for i in world.items if not i.mix_match), key=lambda i: -i.price)[:8]
    lines: list[Line] = []
    for item in dear:
        line = pricing.line(world, item, 1, day, buyer)
        line.qty = max(1, min(6, 9_900 // max(1, line.reg_price - line.price)))
        lines.append(line)
    while sum(li.ext for li in lines) < 120_000:
        lines[len(lines) % len(dear) - 1].qty += 1
    ticket = kit.sale(planner, "ct02", shift, kit.within(planner, shift), lines, buyer, "CARD")
    reverted = CustomerChange(customer, ticket.closed_at + timedelta(days=4), "RETAIL", manager)
    planner.inject(store, promoted.at.date(), promoted)
    planner.inject(store, day, ticket)
    planner.inject(store, reverted.at.date(), reverted)
    planner.label(
        "Q-CT-02",
        POSITIVE,
        kit.customer(customer),
        promoted.at,
        ticket.closed_at,
        store,
        [promoted, ticket, reverted],
        note="RETAIL -> WHOLESALE 20 h before the purchase, back 4 days later",
    )


SCENARIOS = (trade_tier_retail_pattern, tier_change_before_purchase)
