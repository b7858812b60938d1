"""Margin erosion (seed Q.2.6): Q-ME-01 and Q-ME-02 on Counterpoint lines (EXT_PRC, EXT_COST,
CATEG_COD joined to IM_CATEG_COD.MIN_PFT_PCT, HAS_PRC_OVRD)."""

from __future__ import annotations

from datetime import timedelta

from core.simulate import pricing
from core.simulate.model import Line, Ticket
from core.simulate.scenarios import kit
from core.simulate.scenarios.base import POSITIVE, Planner
from core.simulate.vocab import OVERRIDE
from core.simulate.world import COUNTERPOINT, Item, World

SHORTFALL_TARGET = 9_000  # cents of margin below the minimum over the week
MIN_LINES = 8


def shortfall(world: World, line: Line) -> int:
    """How far a line's margin falls short of its category's MIN_PFT_PCT, in cents (0 if it does not)."""
    minimum = world.category_by_code[line.item.category].min_pct
    price = line.ext
    return max(0, round(price * minimum / 100) - (price - line.ext_cost))


def margin_below_category(planner: Planner) -> None:
    """Q-ME-01: "every transaction line to compute (EXT_PRC - EXT_COST) / EXT_PRC and compare against
    the line's category MIN_PFT_PCT, aggregating below-target-margin volume per employee per week".
    Over one week a cashier "price-matches" lean items just inside the store's discount ceiling, so
    no single line looks like a violation but the week's margin shortfall passes $90."""
    store = planner.store(COUNTERPOINT)
    if store is None:
        return
    world = planner.world
    cashier = planner.rng.choice(world.staff(store.key, "cashier"))
    picked = planner.day(0.2, 0.6)
    monday = picked - timedelta(days=picked.weekday())
    if monday < world.start:
        monday += timedelta(days=7)
    pct = store.max_disc_pct - 2
    lean = sorted(
        (
            i
            for i in world.items
            if not i.mix_match
            and 1200 <= i.price <= 6000
            and _below(world, pricing.override(i, 1, pct, "PRICEMATCH"))
        ),
        key=lambda i: -shortfall(world, pricing.override(i, 1, pct, "PRICEMATCH")),
    )[:6]
    tickets: list[Ticket] = []
    lines_below = short = 0
    for offset in range(7):
        day = monday + timedelta(days=offset)
        if (day - world.start).days >= world.days:
            break
        for shift, n in ((s, n) for s in planner.worked_by(store, day, cashier.key) for n in range(3)):
            if lines_below >= MIN_LINES and short >= SHORTFALL_TARGET:
                break
            items: list[Item] = planner.rng.sample(lean, min(2, len(lean)))
            lines = [pricing.override(item, planner.rng.randint(2, 4), pct, "PRICEMATCH") for item in items]
            at = kit.within(planner, shift, 0.1 + 0.3 * n, 0.3 + 0.3 * n)
            ticket = kit.sale(planner, f"me01/{len(tickets)}", shift, at, lines)
            for n, line in enumerate(lines):
                kit.note(
                    ticket,
                    ticket.at + timedelta(seconds=20 + n),
                    OVERRIDE,
                    cashier,
                    shift.station,
                    line=n + 1,
                    item=line.item.sku,
                    regular=kit.money(line.reg_price),
                    price=kit.money(line.price),
                    reason="PRICEMATCH",
                )
            planner.inject(store, day, ticket)
            tickets.append(ticket)
            lines_below += len(lines)
            short += sum(shortfall(world, line) for line in lines)
    if not tickets:
        planner.plan.skipped.append(planner.type)
        return
    planner.label(
        "Q-ME-01",
        POSITIVE,
        kit.employee(cashier),
        tickets[0].at,
        tickets[-1].closed_at,
        store,
        tickets,
        also=("Q-AT-03",),
        note=f"{lines_below} lines, {short} cents below category minimum in one week",
    )


def _below(world: World, line: Line) -> bool:
    return shortfall(world, line) > 0 and line.price > line.unit_cost


def free_items(planner: Planner) -> None:
    """Q-ME-02: "any line with EXT_PRC = 0 and HAS_PRC_OVRD = 'Y' to count toward Q-ME-02
    free-item-pattern detection per (USR_ID, DRW_SESSION_ID)". Three items given away at $0 by one
    cashier in one drawer session, each on an otherwise ordinary ticket."""
    store = planner.store(COUNTERPOINT)
    if store is None:
        return
    day = planner.day(weekday=True)
    shift = planner.shift(store, day)
    tickets: list[Ticket] = []
    for n in range(3):
        free = pricing.override(
            planner.rng.choice([i for i in planner.world.items if not i.mix_match]), 1, 100, "COMP"
        )
        ticket = kit.sale(
            planner,
            f"me02/{n}",
            shift,
            kit.within(planner, shift, 0.1 + 0.25 * n, 0.3 + 0.25 * n),
            [*kit.plain(planner, 1), free],
            method="CASH",
        )
        kit.note(
            ticket,
            ticket.at + timedelta(seconds=30),
            OVERRIDE,
            shift.employee,
            shift.station,
            line=2,
            item=free.item.sku,
            regular=kit.money(free.reg_price),
            price="0.00",
            reason="COMP",
        )
        tickets.append(ticket)
    planner.inject(store, day, *tickets)
    planner.label(
        "Q-ME-02",
        POSITIVE,
        kit.employee(shift.employee),
        tickets[0].at,
        tickets[-1].closed_at,
        store,
        tickets,
        also=("Q-DM-01", "Q-DM-03", "Q-AT-03"),
        note="three $0 overrides in one session",
    )


SCENARIOS = (margin_below_category, free_items)
