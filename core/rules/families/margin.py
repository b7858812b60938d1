"""Margin erosion (Q.2.6): below-category-margin volume per employee per week, and free items rung
with a price override."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from core.domain.sales import LineItem
from core.rules.context import RuleContext
from core.rules.families.audit_trail import week_of
from core.rules.model import Family, Finding, Parameter, Scope, Severity, Substrate, rule
from core.rules.windows import ITEMS, SALE_TYPES, SUBSTRATE, item_is_new, local_day, session_key
from core.text import money

DAY = 86_400.0
# Sources whose lines carry a price-override flag (Counterpoint's HAS_PRC_OVRD). On them a line is
# free by override only when the flag says so: a promotion that gives an item away also leaves a
# discount (GROSS_EXT_PRC − EXT_PRC) but is not an override. Square has no such flag, so there a
# 100 % comp discount is the only sign of a hand-made free item.
OVERRIDE_FLAG_SOURCES = frozenset({"COUNTERPOINT"})


def line_cost(line: LineItem) -> int | None:
    if line.extended_cost_cents is not None:
        return abs(line.extended_cost_cents)
    if line.unit_cost_cents is not None:
        return round(line.unit_cost_cents * abs(line.quantity))
    return None


@rule(
    id="Q-ME-01",
    family=Family.MARGIN,
    title="Line margin below the category minimum, per employee per week",
    requires=(
        "line_items.category_id",
        "line_items.extended_cost_cents|line_items.unit_cost_cents",
        "item_category.min_profit_pct",
        "transaction.employee_id",
    ),
    triggers=("transaction",),
    parameters=(
        Parameter("min_lines", 5, "Below-minimum lines in a week before it is reported", 1, 10_000),
        Parameter(
            "min_shortfall_cents",
            5_000,
            "Margin short of the minimum in a week before it is reported",
            0,
            100_000_000,
            unit="cents",
        ),
        Parameter(
            "exclude_mix_match_lines",
            False,
            "Leave mix-and-match lines out (their bundle is judged by "
            "Q-MM-01); the garden-center pack turns this on",
        ),
        Parameter(
            "new_item_grace_days",
            0,
            "Ignore items new to the catalog this many days or less (item-code drift; items already "
            "selling when the history began are not new)",
            0,
            365,
            unit="days",
        ),
    ),
    allow_scopes=(Scope.EMPLOYEE, Scope.CATEGORY, Scope.ITEM, Scope.LOCATION),
    severity=Severity.MEDIUM,
    substrates=(Substrate.COUNTERPOINT,),
    vertical_note="mix-and-match lines have a low line margin by design (garden-center pack excludes them)",
    history=(
        ITEMS,
        SUBSTRATE,
    ),
)
def margin_below_category(ctx: RuleContext) -> Iterable[Finding]:
    """Each sale line's margin (price minus cost over price) is compared with its category's
    MIN_PFT_PCT. Lines below it are added up per employee per ISO week; the week is reported once,
    when both its count of such lines and its money short of the minimum pass the thresholds."""
    facts = ctx.facts
    txn = facts.transaction
    if txn is None or txn.type not in SALE_TYPES or not txn.employee_id:
        return []
    grace = ctx.whole("new_item_grace_days") * DAY
    below: list[tuple[LineItem, int]] = []
    for line in facts.line_items:
        if line.line_type != "SALE" or line.extended_price_cents <= 0:
            continue
        if ctx.flag("exclude_mix_match_lines") and line.mix_match_code:
            continue
        if grace and item_is_new(ctx.state, line.item_id, facts.ts, grace):
            continue
        category = ctx.category(line.category_id)
        cost = line_cost(line)
        if category is None or not category.min_profit_pct or cost is None:
            continue
        price = line.extended_price_cents
        short = round(price * category.min_profit_pct / 100.0) - (price - cost)
        if short > 0:
            below.append((line, short))
    if not below:
        return []
    week = week_of(local_day(txn))
    key = f"{txn.employee_id}|{week}"
    held = ctx.memory.get(key) or {"lines": 0, "short": 0, "docs": []}
    if txn.id in held["docs"]:
        return []  # a later version of a ticket already counted this week
    held = {
        "ts": facts.ts,
        "lines": held["lines"] + len(below),
        "short": held["short"] + sum(s for _l, s in below),
        "docs": [*held["docs"], txn.id][-200:],
    }
    ctx.memory.put(key, held)
    if held["lines"] < ctx.whole("min_lines") or held["short"] < ctx.whole("min_shortfall_cents"):
        return []
    return [
        Finding(
            summary=f"{txn.employee_id}: {held['lines']} lines below category margin in {week}, "
            f"{money(held['short'], txn.currency)} short",
            subject=ctx.subject([line for line, _s in below], customer_id=None, customer_tier=None),
            occurred_at=txn.occurred_at,
            entity_id=key,
            measurements={
                "week": week,
                "lines_below": held["lines"],
                "shortfall_cents": held["short"],
                "transactions": held["docs"],
            },
            evidence={
                "transaction": txn,
                "line_items": [line for line, _s in below],
                "item_categories": [ctx.category(line.category_id) for line, _s in below],
            },
            dedupe_key=key,
            bundle_key=f"Q-ME-01|{txn.employee_id}",
        )
    ]


@rule(
    id="Q-ME-02",
    family=Family.MARGIN,
    title="Free items with a price override, per user and session",
    requires=(
        "line_items.extended_price_cents",
        "line_items.price_overridden|line_items.discount_cents",
        "transaction.employee_id",
    ),
    triggers=("transaction",),
    parameters=(
        Parameter("min_free_items", 3, "Free lines by one user in one session that are reported", 1, 100),
    ),
    allow_scopes=(Scope.EMPLOYEE, Scope.ITEM, Scope.CATEGORY, Scope.STATION, Scope.LOCATION),
    severity=Severity.MEDIUM,
)
def free_items(ctx: RuleContext) -> Iterable[Finding]:
    """Sale lines rung at zero by a price override (or a 100 % comp discount where the substrate has
    no override flag), counted per user per drawer session (or station and day); reported when the
    count reaches the minimum, as one detection per user and session updated as the count grows
    (whichever ticket completes it, timed by the session's first free line). Where the substrate has
    the flag, a free line without it (a free promotional item) does not count."""
    facts = ctx.facts
    txn = facts.transaction
    if txn is None or txn.type not in SALE_TYPES or not txn.employee_id:
        return []
    flagged = facts.source in OVERRIDE_FLAG_SOURCES
    free = [
        li
        for li in facts.line_items
        if li.line_type == "SALE"
        and li.extended_price_cents == 0
        and (li.price_overridden or (not flagged and li.discount_cents > 0))
    ]
    session = session_key(txn)
    if not free or session is None:
        return []
    key = f"{txn.employee_id}|{session}"
    held = ctx.memory.get(key) or {"lines": []}
    known = {(row[1], row[2]) for row in held["lines"]}
    rows = [
        *held["lines"],
        *(
            [facts.ts, txn.id, li.line_no, li.item_id, li.regular_price_cents or li.discount_cents]
            for li in free
            if (txn.id, li.line_no) not in known
        ),
    ]
    if len(rows) == len(held["lines"]):
        return []  # a redelivery adds nothing
    rows = sorted(rows, key=lambda r: (r[0], r[1], r[2]))[-200:]  # in event time, whatever the arrival
    ctx.memory.put(key, {"ts": max(facts.ts, held.get("ts", facts.ts)), "lines": rows})
    minimum = ctx.whole("min_free_items")
    if len(rows) < minimum:
        return []
    return [
        Finding(
            summary=f"{txn.employee_id}: {len(rows)} free item(s) by price override in one session",
            subject=ctx.subject(free, drawer_session_id=session),
            occurred_at=datetime.fromtimestamp(float(rows[0][0]), UTC),
            entity_id=rows[0][1],  # the ticket of the session's first free line
            measurements={
                "free_lines": len(rows),
                "value_cents": sum(r[4] or 0 for r in rows),
                "session": session,
            },
            evidence={
                "transaction": txn,
                "line_items": free,
                "free_lines": [
                    {
                        "at": r[0],
                        "transaction_id": r[1],
                        "line_no": r[2],
                        "item_id": r[3],
                        "regular_value_cents": r[4],
                    }
                    for r in rows
                ],
            },
            episode=key,
            extent=len(rows),
            bundle_key=f"Q-ME-02|{key}",
        )
    ]


RULES = (margin_below_category, free_items)
