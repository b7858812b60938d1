"""Margin erosion (Q.2.6): below-category-margin volume per employee per week, and free items rung
with a price override."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from core.domain.sales import LineItem
from core.rules import recency
from core.rules.context import RuleContext
from core.rules.families.audit_trail import week_of
from core.rules.families.margin_weeks import below_minimum, tally_add, tally_of, verdict_of
from core.rules.model import Family, Finding, Parameter, Scope, Severity, Subject, Substrate, rule
from core.rules.windows import (
    ITEMS,
    SALE_TYPES,
    SUBSTRATE,
    local_day,
    reaches_back,
    session_key,
)
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
    triggers=("transaction", "item_category"),
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
    MIN_PFT_PCT. Lines below it are added up per employee per ISO week; the week is reported when
    both its count of such lines and its money short of the minimum pass the thresholds. The week is
    judged on all its sale lines known now, whatever order they arrived in: a category arriving after
    the sales re-judges the weeks that sold in it, and an earlier-timed sale (which moves an item's
    first sale, or where the item history begins) re-judges the later weeks. A week that no longer
    passes, or passes on different lines, has its detection withdrawn (and reported again as it
    stands)."""
    facts = ctx.facts
    txn, record = facts.transaction, facts.item_category
    judge: set[str] = set()
    if record is not None:
        judge.update(ctx.memory.get(f"category|{record.id}") or [])
    if txn is not None and txn.type in SALE_TYPES and txn.employee_id:
        key = _record_lines(ctx, txn)
        if key is not None:
            judge.add(key)
    if facts.line_items and ctx.whole("new_item_grace_days"):
        judge |= _reached_back(ctx)
    out: list[Finding] = []
    for key in sorted(judge):
        out.extend(_judge_week(ctx, key))
    return out


WEEKS = "weeks"  # memory: {employee|week: latest sale line time}, the weeks held
WEEKS_KEPT = 400 * DAY  # how far behind the latest week a late sale still re-judges


def _record_lines(ctx: RuleContext, txn: Any) -> str | None:
    """Hold the ticket's sale lines in its employee-week (a later version of a ticket already held
    changes nothing); the week's key, or None for a ticket with no sale line."""
    facts = ctx.facts
    lines = [
        [li.item_id, li.category_id, li.extended_price_cents, cost, bool(li.mix_match_code)]
        for li in facts.line_items
        if li.line_type == "SALE" and li.extended_price_cents > 0 and (cost := line_cost(li)) is not None
    ]
    if not lines:
        return None
    week = week_of(local_day(txn))
    key = f"{txn.employee_id}|{week}"
    held = ctx.memory.get(key) or {"docs": {}}
    if txn.id in held["docs"]:
        return key
    doc = [facts.ts, txn.location_id, txn.currency, lines]
    docs = {**held["docs"], txn.id: doc}
    # "ts" is the newest of the week's tickets, kept with every write of "docs" (docs only grow).
    ctx.memory.put(key, {**held, "ts": max(held.get("ts", facts.ts), facts.ts), "docs": docs})
    tally_add(ctx, key, held["docs"], docs, txn.id)
    for category in {line[1] for line in lines if line[1]}:
        index = ctx.memory.get(f"category|{category}") or []
        if key not in index:
            ctx.memory.put(f"category|{category}", [*index, key])
    recency.touch(ctx.state, ctx.memory, WEEKS, key, facts.ts, WEEKS_KEPT)
    return key


def _reached_back(ctx: RuleContext) -> set[str]:
    """The weeks an earlier-timed sale re-judges: those with lines after it, when it moves where the
    item history begins or an item's first sale earlier."""
    if not reaches_back(ctx.state, ctx.facts):
        return set()
    return {k for k, latest in (ctx.memory.get(WEEKS) or {}).items() if latest >= ctx.facts.ts}


def _judge_week(ctx: RuleContext, key: str) -> list[Finding]:
    """The week's finding as it stands on the lines and categories known now, when it changed: its
    withdrawal first if it was reported on something else."""
    held = ctx.memory.get(key)
    if held is None:
        return []
    tally = tally_of(ctx, key, held)
    if tally is not None and verdict_of(ctx, len(tally.below), tally.shortfall, tally.newest) == held.get(
        "verdict"
    ):
        return []  # the usual ticket: the week's verdict stands
    below = list(tally.below) if tally is not None else below_minimum(ctx, key, held)
    count, shortfall = len(below), sum(b[3] for b in below)
    verdict = verdict_of(ctx, count, shortfall, max((b[0] for b in below), default=-math.inf))
    if verdict == held.get("verdict"):
        return []
    ctx.memory.put(key, {**held, "verdict": verdict})
    employee, _, week = key.partition("|")
    out = []
    before = held.get("verdict")
    if before is not None and (verdict is None or verdict[0] <= before[0]):
        # A week that only grew is updated in place (its extent is larger); otherwise withdrawn first.
        out.append(
            Finding.withdrawal(
                key, f"{week} stands differently on the sales known now", ctx.facts.occurred_at
            )
        )
    if verdict is None:
        return out
    docs = sorted({b[1] for b in below})
    last = max(below, key=lambda b: (b[0], b[1]))
    _ts, location, currency, _lines = held["docs"][last[1]]
    at = datetime.fromtimestamp(verdict[2], UTC)
    out.append(
        Finding(
            summary=f"{employee}: {count} lines below category margin in {week}, "
            f"{money(shortfall, currency)} short",
            subject=Subject(
                employee_id=employee,
                location_id=location,
                items=tuple(sorted({b[2][0] for b in below if b[2][0]})),
                categories=tuple(sorted({b[2][1] for b in below if b[2][1]})),
                local_time=at.isoformat(),
            ),
            occurred_at=at,
            entity_id=key,
            measurements={
                "week": week,
                "lines_below": count,
                "shortfall_cents": shortfall,
                "transactions": docs,
            },
            evidence={
                "lines": [
                    {
                        "transaction_id": doc,
                        "at": ts,
                        "item_id": line[0],
                        "category_id": line[1],
                        "price_cents": line[2],
                        "cost_cents": line[3],
                        "short_cents": short,
                    }
                    for ts, doc, line, short in below
                ],
                "item_categories": sorted({b[2][1] for b in below if b[2][1]}),
            },
            episode=key,
            extent=count,
            bundle_key=f"Q-ME-01|{employee}",
        )
    )
    return out


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
