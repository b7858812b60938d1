"""Discount and markdown (seed Q.2.1): Q-DM-01, Q-DM-02, Q-DM-03 and the wholesale-tier hard negative.
All on Counterpoint stores, whose lines carry REG_PRC, HAS_PRC_OVRD and cost, and whose store
configuration carries MAX_DISC_PCT / MAX_DISC_AMT."""

from __future__ import annotations

from datetime import timedelta

from core.simulate import pricing
from core.simulate.model import Line
from core.simulate.movements import PriceChange
from core.simulate.scenarios import kit
from core.simulate.scenarios.base import HARD_NEGATIVE, POSITIVE, Planner
from core.simulate.vocab import OVERRIDE
from core.simulate.world import COUNTERPOINT, Item

HIGH_MARGIN = 55  # categories whose target margin leaves room for a deep cut above cost


def _rich_items(planner: Planner, low: int = 1500, high: int = 9000) -> list[Item]:
    world = planner.world
    return [
        i
        for i in world.items
        if world.category_by_code[i.category].trgt_pct >= HIGH_MARGIN
        and low <= i.price <= high
        and not i.mix_match
    ]


def price_override_beyond_ceiling(planner: Planner) -> None:
    """Q-DM-01: "flag any line where HAS_PRC_OVRD = Y and per-line discount exceeds the store's
    MAX_DISC_AMT/PCT threshold". A cashier types a price 10 points past the store's MAX_DISC_PCT for
    a walk-in (still above cost, so Q-DM-03 stays quiet)."""
    store = planner.store(COUNTERPOINT)
    if store is None:
        return
    day = planner.day(weekday=True)
    shift = planner.shift(store, day)
    item = planner.rng.choice(_rich_items(planner))
    line = pricing.override(item, 1, store.max_disc_pct + 10, "CUSTREQ")
    ticket = kit.sale(
        planner, "dm01", shift, kit.within(planner, shift), [line, *kit.plain(planner, 1)], method="CASH"
    )
    kit.note(
        ticket,
        ticket.at + timedelta(seconds=30),
        OVERRIDE,
        shift.employee,
        shift.station,
        line=1,
        item=item.sku,
        regular=kit.money(item.price),
        price=kit.money(line.price),
        reason="CUSTREQ",
    )
    planner.inject(store, day, ticket)
    planner.label(
        "Q-DM-01",
        POSITIVE,
        kit.employee(shift.employee),
        ticket.at,
        ticket.closed_at,
        store,
        [ticket],
        also=("Q-ME-01", "Q-AT-03"),
        note=f"{store.max_disc_pct + 10} % off against MAX_DISC_PCT {store.max_disc_pct}",
    )


def wholesale_tier_discount(planner: Planner) -> None:
    """Hard negative for Q-DM-01: "Wholesale tier customers may legitimately exceed store
    MAX_DISC_PCT — allow-list per CATEG_COD". A WHOLESALE account gets an override past the ceiling."""
    store = planner.store(COUNTERPOINT)
    if store is None:
        return
    buyers = planner.world.customers_of(store.key, "WHOLESALE")
    if not buyers:
        planner.plan.skipped.append(planner.type)
        return
    customer = planner.rng.choice(buyers)
    day = planner.day(weekday=True)
    shift = planner.shift(store, day)
    lines = [
        pricing.override(item, 2, store.max_disc_pct + 8, "TIER")
        for item in planner.rng.sample(_rich_items(planner, 1000, 4000), 2)
    ]
    ticket = kit.sale(planner, "tier", shift, kit.within(planner, shift), lines, customer, "ACCOUNT")
    planner.inject(store, day, ticket)
    planner.label(
        "Q-DM-01",
        HARD_NEGATIVE,
        kit.customer(customer),
        ticket.at,
        ticket.closed_at,
        store,
        [ticket],
        note="customer tier WHOLESALE is allow-listed for discounts past MAX_DISC_PCT (seed Q.2.1)",
    )


def markdown_then_buy(planner: Planner) -> None:
    """Q-DM-02: "detect markdown-then-buy patterns by joining Things.items price-change events to
    subsequent transactions involving the same ITEM_NO and same USR_ID/SLS_REP within 24h". A cashier
    halves an item's price in the item master (IM_ITEM.PRC_1, LST_MAINT_USR_ID), rings it up for
    their own staff account minutes later at the new price, then puts the price back."""
    store = planner.store(COUNTERPOINT)
    if store is None:
        return
    day = planner.day(weekday=True)
    shift = planner.shift(store, day, block=2)
    person = shift.employee
    account = next(
        c for c in planner.world.customers_of(store.key, "EMPLOYEE") if c.key == f"{person.key}-ACCT"
    )
    item = planner.rng.choice(_rich_items(planner, 2000, 6000))
    marked = item.price // 2
    at = kit.within(planner, shift, 0.3, 0.6)
    down = PriceChange(planner.key("dm02/down"), item, at, item.price, marked, person, store)
    line = Line(item, 1, marked, marked)
    ticket = kit.sale(planner, "dm02", shift, at + timedelta(minutes=12), [line], account, "CARD")
    up = PriceChange(
        planner.key("dm02/up"), item, at + timedelta(minutes=40), marked, item.price, person, store
    )
    planner.inject(store, day, down, ticket, up)
    planner.label(
        "Q-DM-02",
        POSITIVE,
        kit.employee(person),
        at,
        ticket.closed_at,
        store,
        [down, ticket],
        also=("Q-ME-01",),
        note="price change arrives as a GET /Item (IM_ITEM) response",
    )


def below_cost_sale(planner: Planner) -> None:
    """Q-DM-03: a sale line whose extended price is below its extended cost. A low-margin item
    (soil, fertilizer, electronics) is rung at a price under its cost, with a discount that stays
    inside MAX_DISC_PCT so only the cost test fails."""
    store = planner.store(COUNTERPOINT)
    if store is None:
        return
    world = planner.world
    lean = [
        i
        for i in world.items
        if world.category_by_code[i.category].trgt_pct <= 38 and i.price >= 1200 and not i.mix_match
    ]
    item = planner.rng.choice(lean)
    day = planner.day(weekday=True)
    shift = planner.shift(store, day)
    price = item.cost - max(150, item.cost // 10)
    line = pricing.override_to(item, 3, price, "PRICEMATCH")
    ticket = kit.sale(planner, "dm03", shift, kit.within(planner, shift), [line, *kit.plain(planner, 1)])
    kit.note(
        ticket,
        ticket.at + timedelta(seconds=25),
        OVERRIDE,
        shift.employee,
        shift.station,
        line=1,
        item=item.sku,
        regular=kit.money(item.price),
        price=kit.money(price),
        reason="PRICEMATCH",
    )
    planner.inject(store, day, ticket)
    also = (
        ("Q-ME-01", "Q-AT-03")
        if (item.price - price) * 100 <= item.price * store.max_disc_pct
        else ("Q-DM-01", "Q-ME-01", "Q-AT-03")
    )
    planner.label(
        "Q-DM-03",
        POSITIVE,
        kit.employee(shift.employee),
        ticket.at,
        ticket.closed_at,
        store,
        [ticket],
        also=also,
        note=f"{item.sku} sold at {kit.money(price)} against a cost of {kit.money(item.cost)}",
    )


SCENARIOS = (price_override_beyond_ceiling, wholesale_tier_discount, markdown_then_buy, below_cost_sale)
