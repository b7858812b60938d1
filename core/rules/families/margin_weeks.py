"""Q-ME-01's employee-weeks: which of a week's held sale lines fall below their category minimum,
re-walked from the stored week or carried in a tally as tickets are added (margin.py judges them)."""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from typing import Any

from core.rules.context import RuleContext
from core.rules.windows import CATEGORIES, first_sale_now, items_since_now, new_as_of

DAY = 86_400.0
Below = tuple[float, str, list[Any], int]  # (ts, ticket, held line, short), by (ts, ticket)


def is_new(ctx: RuleContext, item_id: str | None, now: float, grace: float) -> bool:
    first = first_sale_now(ctx.state, ctx.facts, item_id)
    return new_as_of(items_since_now(ctx.state, ctx.facts), now if first is None else first, now, grace)


def category_of(ctx: RuleContext, category_id: str | None) -> Any:
    record = ctx.facts.item_category
    if record is not None and category_id == record.id:
        return record  # the windows fold it in after the rules
    return ctx.category(category_id)


def verdict_of(ctx: RuleContext, count: int, shortfall: int, newest: float) -> list[Any] | None:
    """What a week is reported on (its lines below, money short, newest such line), or None."""
    passes = count >= ctx.whole("min_lines") and shortfall >= ctx.whole("min_shortfall_cents")
    return [count, shortfall, newest] if passes else None


def _short(ctx: RuleContext, line: list[Any], ts: float, grace: float, read: dict[str, Any] | None) -> int:
    """How far a held sale line falls short of its category's minimum margin (≤ 0: not below).
    ``read`` collects the stored category records consulted, for the week's tally."""
    item, category_id, price, cost, mix = line
    if mix and ctx.flag("exclude_mix_match_lines"):
        return 0
    if grace and is_new(ctx, item, ts, grace):
        return 0
    if read is not None and category_id is not None and category_id not in read:
        read[category_id] = CATEGORIES.get(ctx.state, category_id)
    category = category_of(ctx, category_id)
    if category is None or not category.min_profit_pct:
        return 0
    return round(price * category.min_profit_pct / 100.0) - (price - cost)  # type: ignore[no-any-return]


def below_minimum(ctx: RuleContext, key: str, held: dict[str, Any]) -> list[Below]:
    """The week's lines below their category minimum, in event time, re-walking every held ticket;
    also leaves the week's tally for the tickets that follow."""
    grace = ctx.whole("new_item_grace_days") * DAY
    read: dict[str, Any] | None = {} if _tallied(ctx) else None
    below: list[Below] = []
    for doc, (ts, _location, _currency, lines) in sorted(held["docs"].items(), key=lambda d: (d[1][0], d[0])):
        for line in lines:
            short = _short(ctx, line, ts, grace, read)
            if short > 0:
                below.append((ts, doc, line, short))
    if read is not None:
        ctx.state.cache[(TALLY, key)] = Tally(
            held["docs"],
            ctx.flag("exclude_mix_match_lines"),
            read,
            list(below),
            sum(b[3] for b in below),
            max((b[0] for b in below), default=-math.inf),
        )
    return below


# A week's tally: its lines below their category minimum (in event time, as ``_below`` lists them),
# by how much in all, and the newest such line, kept next to the stored week so that a ticket added
# to it costs its own lines rather than a re-walk of every line the week holds (a busy employee-week
# holds thousands, and it was re-walked on each of its tickets). Derived, never persisted
# (``RuleState.cache``, cleared when state is reloaded): it stands only while the week's ``docs`` is
# the very object it was worked out on (``_tally_add`` moves it to the next one) and every category
# record it read is still the one stored. An event carrying a category record, a different
# ``exclude_mix_match_lines``, or a new-item grace (whether an item is new moves with time) re-walks
# the week as before.
TALLY = "Q-ME-01 tally"


@dataclass(slots=True)
class Tally:
    docs: dict[str, Any]  # the stored week's tickets it covers, by identity
    exclude_mix: bool
    categories: dict[str, Any]  # category id -> the stored record it read (None: none stored)
    below: list[Below]  # (ts, ticket, held line, short), by (ts, ticket)
    shortfall: int
    newest: float  # -inf while no line is below


def _tallied(ctx: RuleContext) -> bool:
    return ctx.facts.item_category is None and not ctx.whole("new_item_grace_days")


def tally_of(ctx: RuleContext, key: str, held: dict[str, Any]) -> Tally | None:
    tally: Tally | None = ctx.state.cache.get((TALLY, key))
    if (
        tally is None
        or tally.docs is not held["docs"]
        or not _tallied(ctx)
        or tally.exclude_mix != ctx.flag("exclude_mix_match_lines")
    ):
        return None
    for category_id, record in tally.categories.items():
        if CATEGORIES.get(ctx.state, category_id) is not record:
            return None
    return tally


def tally_add(ctx: RuleContext, key: str, before: dict[str, Any], after: dict[str, Any], ticket: str) -> None:
    """Carry the week's tally from ``before`` to ``after`` (``before`` plus ``ticket``)."""
    tally: Tally | None = ctx.state.cache.get((TALLY, key))
    if tally is None or tally.docs is not before or not _tallied(ctx):
        return
    ts, _location, _currency, lines = after[ticket]
    added = []
    for line in lines:
        # A category already read is not read again: a change to it is caught when the tally is used.
        read = None if line[1] in tally.categories else tally.categories
        short = _short(ctx, line, ts, 0.0, read)
        if short > 0:
            added.append((ts, ticket, line, short))
            tally.shortfall += short
            tally.newest = max(tally.newest, ts)
    if added:  # its lines go in together at the ticket's (ts, id) place, as ``_below`` orders them
        at = bisect.bisect_left(tally.below, (ts, ticket), key=_when_ticket)
        tally.below[at:at] = added
    tally.docs = after


def _when_ticket(entry: Below) -> tuple[float, str]:
    return entry[0], entry[1]
