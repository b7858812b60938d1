"""Mix and match (seed Q.2.10, garden-center-originated): Q-MM-01, Q-MM-02 and the bundle hard
negatives. Bundle lines carry MIX_MATCH_COD; group membership is the item master's MIX_MATCH_COD
(GET /Items, written with the reference data)."""

from __future__ import annotations

from core.simulate import pricing
from core.simulate.model import Line, Ticket
from core.simulate.scenarios import kit
from core.simulate.scenarios.base import HARD_NEGATIVE, POSITIVE, Planner
from core.simulate.world import COUNTERPOINT, MixMatch


def _group(planner: Planner) -> MixMatch:
    return planner.rng.choice(planner.world.mix_matches)


def bundle_below_cost(planner: Planner) -> None:
    """Q-MM-01: "bundle-level margin computed for any transaction containing MIX_MATCH_COD lines —
    flag only when the BUNDLE margin is negative, not when individual line margins are". A cashier
    keys the bundle at a price under the members' total cost."""
    store = planner.store(COUNTERPOINT)
    if store is None:
        return
    group = _group(planner)
    members = [planner.world.item_by_sku[planner.rng.choice(group.members)] for _ in range(group.size)]
    each = sum(i.cost for i in members) * 7 // 10 // group.size
    lines = [
        Line(
            i,
            1,
            each,
            i.price,
            override=True,
            reason="MIXMATCH",
            just=f"Mix-match {group.code}",
            mix_match=group.code,
        )
        for i in members
    ]
    day = planner.day(weekday=True)
    shift = planner.shift(store, day)
    ticket = kit.sale(planner, "mm01", shift, kit.within(planner, shift), lines, method="CASH")
    planner.inject(store, day, ticket)
    planner.label(
        "Q-MM-01",
        POSITIVE,
        kit.employee(shift.employee),
        ticket.at,
        ticket.closed_at,
        store,
        [ticket],
        also=("Q-DM-01", "Q-ME-01", "Q-AT-03"),
        note=f"{group.code} bundle at 70 % of its cost",
    )


def code_outside_group(planner: Planner) -> None:
    """Q-MM-02: "flag any line carrying a MIX_MATCH_COD whose corresponding IM_ITEM is not part of
    that mix-match group — manual override pattern". A dearer item from another category rides in a
    bundle at the bundle's per-item price."""
    store = planner.store(COUNTERPOINT)
    if store is None:
        return
    world = planner.world
    group = _group(planner)
    members = [world.item_by_sku[planner.rng.choice(group.members)] for _ in range(group.size - 1)]
    outsider = planner.rng.choice([i for i in world.items if i.mix_match is None and i.price >= 2500])
    lines = pricing.bundle(group, [*members, members[0]])
    lines[-1] = Line(
        outsider, 1, lines[-1].price, outsider.price, just=f"Mix-match {group.code}", mix_match=group.code
    )
    day = planner.day(weekday=True)
    shift = planner.shift(store, day)
    ticket = kit.sale(planner, "mm02", shift, kit.within(planner, shift), lines, method="CASH")
    planner.inject(store, day, ticket)
    planner.label(
        "Q-MM-02",
        POSITIVE,
        kit.employee(shift.employee),
        ticket.at,
        ticket.closed_at,
        store,
        [ticket],
        also=("Q-MM-01", "Q-DM-01", "Q-DM-03", "Q-ME-01"),
        note=f"{outsider.sku} ({outsider.category}) carries {group.code}",
    )


def mix_match_bundle(planner: Planner) -> None:
    """Hard negatives for Q-MM-01 and Q-ME-01: "Mix-and-match groups have intentionally low line
    margin (bundle margin is positive) — bundle-aware aggregation". Ordinary bundles, one line of
    each below its category minimum, every bundle profitable."""
    store = planner.store(COUNTERPOINT)
    if store is None:
        return
    day = planner.day(weekday=True)
    shift = planner.shift(store, day)
    tickets: list[Ticket] = []
    for n in range(3):
        group = _group(planner)
        members = [planner.world.item_by_sku[planner.rng.choice(group.members)] for _ in range(group.size)]
        lines = pricing.bundle(group, members)
        at = kit.within(planner, shift, 0.1 + 0.25 * n, 0.3 + 0.25 * n)
        tickets.append(kit.sale(planner, f"bundle/{n}", shift, at, lines, method="CARD"))
    planner.inject(store, day, *tickets)
    entity = kit.employee(shift.employee)
    start, end = tickets[0].at, tickets[-1].closed_at
    planner.label(
        "Q-MM-01",
        HARD_NEGATIVE,
        entity,
        start,
        end,
        store,
        list(tickets),
        note="bundle margin positive although one line per bundle is below its category minimum",
    )
    planner.label(
        "Q-ME-01",
        HARD_NEGATIVE,
        entity,
        start,
        end,
        store,
        list(tickets),
        note="mix-and-match lines: judge the bundle (garden pack: exclude_mix_match_lines)",
    )


SCENARIOS = (bundle_below_cost, code_outside_group, mix_match_bundle)
