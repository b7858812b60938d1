"""Discount and markdown (Q.2.1): price overrides past the store's ceiling, markdown-then-buy, and
sales below cost."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from core.domain.sales import LineItem
from core.rules.context import RuleContext
from core.rules.facts import Facts
from core.rules.model import Family, Finding, Parameter, Scope, Severity, Substrate, rule
from core.rules.state import RuleState, Window
from core.rules.windows import DAY, SALE_TYPES, trimmed
from core.text import money

HOUR = 3600.0
# Trade accounts buy at tier price levels that a retail MAX_DISC_PCT was never meant to cap (seed
# Q.2.1: "wholesale tier customers may legitimately exceed store MAX_DISC_PCT — allow-list per
# CATEG_COD"). Their lines get a trade ceiling instead of no ceiling: half off list is past any trade
# price level, so an override that deep is still reported whoever the customer is.
TRADE_TIERS = ("WHOLESALE", "LANDSCAPER", "CONTRACTOR")


def line_discount(line: LineItem) -> tuple[int, int]:
    """(discount, base) in cents for a line: from the regular price where the substrate has one
    (Counterpoint REG_PRC/PRC_1), else from the line's own discounts (Square applied discounts)."""
    quantity = abs(line.quantity) or 1.0
    charged = abs(line.extended_price_cents)
    if line.regular_price_cents is not None and line.regular_price_cents > 0:
        base = round(line.regular_price_cents * quantity)
        return max(base - charged, line.discount_cents, 0), base
    base = round(line.unit_price_cents * quantity) or charged + line.discount_cents
    return max(line.discount_cents, 0), base


def _sale_lines(ctx: RuleContext) -> list[LineItem]:
    txn = ctx.facts.transaction
    if txn is None or txn.type not in SALE_TYPES:
        return []
    return [line for line in ctx.facts.line_items if line.line_type == "SALE"]


@rule(
    id="Q-DM-01",
    family=Family.DISCOUNT,
    title="Price override beyond the store's discount ceiling",
    requires=("line_items.unit_price_cents", "line_items.regular_price_cents|line_items.discount_cents"),
    optional=(
        "store_config.max_discount_pct",
        "store_config.max_discount_cents",
        "line_items.price_overridden",
        "customer.tier",
    ),
    triggers=("transaction",),
    parameters=(
        Parameter(
            "fallback_max_discount_pct",
            50.0,
            "Ceiling in percent where the store sets none (Square has "
            "no such setting; Counterpoint sends MAX_DISC_PCT)",
            1.0,
            100.0,
            unit="%",
        ),
        Parameter(
            "fallback_max_discount_cents",
            20_000,
            "Ceiling in money per line where the store sets none",
            100,
            10_000_000,
            unit="cents",
        ),
        Parameter("use_store_limits", True, "Use the store's MAX_DISC_PCT / MAX_DISC_AMT when it has them"),
        Parameter(
            "require_override_flag",
            False,
            "Only lines the POS marked as a price override "
            "(HAS_PRC_OVRD); off for substrates without the flag",
        ),
        Parameter(
            "trade_tiers",
            TRADE_TIERS,
            "Customer tiers (CATEG_COD) allowed past the store's percent ceiling, up to the trade "
            "ceiling (seed Q.2.1; ASSUMPTION-Q-10: codes vary per merchant)",
        ),
        Parameter(
            "trade_max_discount_pct",
            50.0,
            "Percent ceiling for a trade-tier customer's lines (never below the store's own)",
            1.0,
            100.0,
            unit="%",
        ),
    ),
    allow_scopes=(
        Scope.CUSTOMER_TIER,
        Scope.CUSTOMER,
        Scope.EMPLOYEE,
        Scope.ITEM,
        Scope.CATEGORY,
        Scope.LOCATION,
    ),
    severity=Severity.MEDIUM,
    vertical_note="wholesale tiers may exceed MAX_DISC_PCT: trade tiers get the trade ceiling instead "
    "(trade_tiers); an exception for one account is an allow-list entry (scope customer_tier or customer)",
)
def price_override_beyond_ceiling(ctx: RuleContext) -> Iterable[Finding]:
    """A sale line discounted from its regular price by more than the store allows: more than
    MAX_DISC_PCT percent or more than MAX_DISC_AMT in money (a store value of 0 or none means the
    fallback parameters apply). A customer in a trade tier may exceed MAX_DISC_PCT up to the trade
    ceiling; the money ceiling still applies. One finding per ticket lists every offending line."""
    require_flag = ctx.flag("require_override_flag")
    discounted = [
        (line, *line_discount(line)) for line in _sale_lines(ctx) if line.price_overridden or not require_flag
    ]
    discounted = [(line, discount, base) for line, discount, base in discounted if discount > 0 and base > 0]
    if not discounted:
        return []
    store = ctx.store() if ctx.flag("use_store_limits") else None
    max_pct = (store.max_discount_pct if store and store.max_discount_pct else None) or ctx.num(
        "fallback_max_discount_pct"
    )
    max_cents = (store.max_discount_cents if store and store.max_discount_cents else None) or ctx.whole(
        "fallback_max_discount_cents"
    )
    txn = ctx.facts.transaction
    assert txn is not None  # _sale_lines returned lines
    tier = ctx.tier(txn.customer_id) if txn.customer_id else None
    trade = tier is not None and tier.upper() in {t.upper() for t in ctx.texts("trade_tiers")}
    if trade:
        max_pct = max(max_pct, ctx.num("trade_max_discount_pct"))
    offending: list[LineItem] = []
    worst = 0.0
    details = []
    for line, discount, base in discounted:
        pct = discount * 100.0 / base
        if pct > max_pct or discount > max_cents:
            offending.append(line)
            worst = max(worst, pct / max_pct, discount / max_cents)
            details.append(
                {
                    "line_no": line.line_no,
                    "item_id": line.item_id,
                    "discount_cents": discount,
                    "discount_pct": round(pct, 2),
                    "overridden": line.price_overridden,
                }
            )
    if not offending:
        return []
    return [
        Finding(
            summary=f"{len(offending)} line(s) discounted past the {'trade' if trade else 'store'} ceiling "
            f"({max_pct:g} % / {money(max_cents, txn.currency)})",
            subject=ctx.subject(offending),
            occurred_at=txn.occurred_at,
            entity_id=txn.id,
            severity=Severity.HIGH if worst >= 2 else None,
            measurements={
                "lines": details,
                "max_discount_pct": max_pct,
                "max_discount_cents": max_cents,
                "limits_from": "store_config" if store and store.max_discount_pct else "parameters",
                "trade_tier": tier if trade else None,
            },
            evidence={"transaction": txn, "line_items": offending, "store_config": store},
        )
    ]


# Q-DM-02's history: each item's price changes, 7 days behind the newest:
# [ts, employee, old price, new price]. They come as price-change facts, or are derived from the
# item master (Counterpoint IM_ITEM): each item's last prices by time [ts, price, user], and a record
# whose price differs from the one before it in time is a change by the record's user.
PRICE_CHANGES: Window[list[list[Any]]] = Window(
    "price_changes", key="item: its price changes", retention=7 * DAY, shards=8
)
ITEM_PRICES: Window[list[list[Any]]] = Window(
    "item_prices", key="item: its item-master prices (the last 10 by time)", shards=8
)
PRICES_KEPT = 10


@PRICE_CHANGES.folds
def _fold_price_changes(state: RuleState, facts: Facts) -> None:
    changes = [
        (
            change.item_id,
            change.occurred_at.timestamp(),
            change.employee_id,
            change.old_price_cents,
            change.new_price_cents,
        )
        for change in facts.price_changes
    ]
    for master in facts.catalog_items:
        if master.price_cents is None:
            continue
        row = [facts.ts, master.price_cents, master.maintained_by]
        prices = ITEM_PRICES.get(state, master.id) or []
        if row in prices:
            continue  # a redelivery
        prices = sorted([*prices, row], key=lambda r: (r[0], r[1]))
        at = prices.index(row)
        if at > 0 and prices[at - 1][1] != master.price_cents:
            changes.append((master.id, facts.ts, master.maintained_by, prices[at - 1][1], master.price_cents))
        ITEM_PRICES.put(state, master.id, prices[-PRICES_KEPT:])
    for item, ts, employee, old, new in changes:
        rows = trimmed(PRICE_CHANGES.get(state, item) or [], facts.ts, 7 * DAY)
        rows.append([ts, employee, old, new])
        PRICE_CHANGES.put(state, item, rows)


@rule(
    id="Q-DM-02",
    family=Family.DISCOUNT,
    title="Markdown then buy by the same user within 24 h",
    requires=(
        "price_changes.item_id|catalog_items.price_cents",
        "price_changes.employee_id|catalog_items.maintained_by",
        "price_changes.new_price_cents|catalog_items.price_cents",
        "line_items.item_id",
        "transaction.employee_id",
    ),
    triggers=("transaction",),
    parameters=(
        Parameter("window_hours", 24, "How long after the markdown a purchase counts", 1, 168, unit="hours"),
        Parameter(
            "min_markdown_pct", 10.0, "Smallest price cut that counts as a markdown", 0.0, 100.0, unit="%"
        ),
    ),
    allow_scopes=(Scope.EMPLOYEE, Scope.ITEM, Scope.CATEGORY, Scope.LOCATION),
    severity=Severity.HIGH,
    substrates=(Substrate.COUNTERPOINT,),
    history=(PRICE_CHANGES,),
)
def markdown_then_buy(ctx: RuleContext) -> Iterable[Finding]:
    """A user lowers an item's price and, within the window, rings a sale of that item at (or under)
    the marked-down price. Joins price-change events to later sale lines on item and user."""
    txn = ctx.facts.transaction
    if not PRICE_CHANGES.has(ctx.state):
        return []  # no price change seen yet (Counterpoint's item master gives them; Square none so far)
    lines = _sale_lines(ctx)
    if txn is None or not txn.employee_id or not lines:
        return []
    window = ctx.whole("window_hours") * HOUR
    min_pct = ctx.num("min_markdown_pct")
    hits = []
    for line in lines:
        for at, employee, old, new in PRICE_CHANGES.get(ctx.state, line.item_id or "") or []:
            if employee != txn.employee_id or not old or new >= old or not 0 <= ctx.facts.ts - at <= window:
                continue
            if (old - new) * 100.0 / old >= min_pct and line.unit_price_cents <= new:
                hits.append(
                    (
                        line,
                        {
                            "item_id": line.item_id,
                            "marked_at": at,
                            "old_price_cents": old,
                            "new_price_cents": new,
                            "sold_price_cents": line.unit_price_cents,
                        },
                    )
                )
    if not hits:
        return []
    return [
        Finding(
            summary=f"{txn.employee_id} bought {len(hits)} item(s) they had marked down",
            subject=ctx.subject([h[0] for h in hits]),
            occurred_at=txn.occurred_at,
            entity_id=txn.id,
            measurements={"markdowns": [h[1] for h in hits], "window_hours": ctx.whole("window_hours")},
            evidence={
                "transaction": txn,
                "line_items": [h[0] for h in hits],
                "price_changes": [h[1] for h in hits],
            },
        )
    ]


@rule(
    id="Q-DM-03",
    family=Family.DISCOUNT,
    title="Below-cost sale",
    requires=("line_items.unit_cost_cents|line_items.extended_cost_cents", "line_items.extended_price_cents"),
    triggers=("transaction",),
    parameters=(
        Parameter("min_loss_cents", 100, "Smallest loss per line that counts", 0, 1_000_000, unit="cents"),
        Parameter("exclude_mix_match_lines", True, "Leave mix-and-match lines to Q-MM-01 (bundle margin)"),
    ),
    allow_scopes=(
        Scope.EMPLOYEE,
        Scope.ITEM,
        Scope.CATEGORY,
        Scope.CUSTOMER,
        Scope.CUSTOMER_TIER,
        Scope.LOCATION,
    ),
    severity=Severity.MEDIUM,
    substrates=(Substrate.COUNTERPOINT,),
)
def below_cost_sale(ctx: RuleContext) -> Iterable[Finding]:
    """A sale line whose extended price is below its extended cost by at least the minimum loss.
    Mix-and-match lines are judged as a bundle by Q-MM-01, not line by line."""
    offending = []
    loss = 0
    for line in _sale_lines(ctx):
        if ctx.flag("exclude_mix_match_lines") and line.mix_match_code:
            continue
        cost = line.extended_cost_cents
        if cost is None and line.unit_cost_cents is not None:
            cost = round(line.unit_cost_cents * abs(line.quantity))
        if cost is None:
            continue
        gap = abs(cost) - abs(line.extended_price_cents)
        if gap >= max(ctx.whole("min_loss_cents"), 1):
            offending.append(line)
            loss += gap
    if not offending:
        return []
    txn = ctx.facts.transaction
    assert txn is not None
    return [
        Finding(
            summary=f"{len(offending)} line(s) sold below cost, {money(loss, txn.currency)} under",
            subject=ctx.subject(offending),
            occurred_at=txn.occurred_at,
            entity_id=txn.id,
            measurements={"loss_cents": loss, "lines": [li.line_no for li in offending]},
            evidence={"transaction": txn, "line_items": offending},
        )
    ]


RULES = (price_override_beyond_ceiling, markdown_then_buy, below_cost_sale)
