"""Card velocity (C-005, from R): one card fingerprint used by many customers or at many locations
in a short window. Square-native: Counterpoint keeps no card fingerprint."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from core.rules.context import RuleContext
from core.rules.facts import Facts
from core.rules.model import Family, Finding, Parameter, Scope, Severity, Substrate, rule
from core.rules.state import RuleState, Window
from core.rules.windows import DAY, trimmed

HOUR = 3600.0

# C-005's history: each card's uses, 7 days behind the newest: [ts, customer, location, transaction].
CARDS: Window[list[list[Any]]] = Window(
    "cards", key="card fingerprint: its uses", retention=7 * DAY, shards=16
)


@CARDS.folds
def _fold_cards(state: RuleState, facts: Facts) -> None:
    txn = facts.transaction
    if txn is None:
        return
    for tender in facts.tenders:
        if not tender.card_fingerprint:
            continue
        rows = trimmed(CARDS.get(state, tender.card_fingerprint) or [], facts.ts, 7 * DAY)
        if not any(row[3] == txn.id for row in rows):
            rows.append([facts.ts, txn.customer_id, txn.location_id, txn.id])
        CARDS.put(state, tender.card_fingerprint, rows)


@rule(
    id="C-005",
    family=Family.CARD_VELOCITY,
    title="Card fingerprint velocity across customers or locations",
    requires=("tenders.card_fingerprint", "transaction.customer_id|transaction.location_id"),
    triggers=("transaction",),
    parameters=(
        Parameter("window_hours", 24, "Window the uses are counted in", 1, 168, unit="hours"),
        Parameter("max_customers", 3, "Distinct customers on one card that fire", 2, 50),
        Parameter("max_locations", 3, "Distinct locations for one card that fire", 2, 50),
    ),
    allow_scopes=(Scope.CUSTOMER, Scope.LOCATION),
    severity=Severity.HIGH,
    substrates=(Substrate.SQUARE,),
    history=(CARDS,),
)
def card_velocity(ctx: RuleContext) -> Iterable[Finding]:
    """One card (by the vendor's opaque fingerprint) used by at least the maximum number of distinct
    customers, or at the maximum number of distinct locations, within the window: shared or
    tested stolen cards. One detection per card: it fires when some window reaches a maximum, and
    each later use that falls in such a window updates it. Windows are worked out in event time
    over every use the card's window holds, so a use that arrives late counts wherever it falls."""
    facts = ctx.facts
    txn = facts.transaction
    if txn is None:
        return []
    window = ctx.whole("window_hours") * HOUR
    limits = (ctx.whole("max_customers"), ctx.whole("max_locations"))
    out = []
    for fingerprint in sorted({t.card_fingerprint for t in facts.tenders if t.card_fingerprint}):
        held = [r for r in CARDS.get(ctx.state, fingerprint) or [] if r[3] != txn.id]
        here = [facts.ts, txn.customer_id, txn.location_id, txn.id]
        rows = sorted([*held, here], key=lambda r: (r[0], r[3]))
        members, peak = _in_busy_windows(rows, window, limits)
        if not members:
            continue
        # The card's episode outlives the 7-day use window: its members so far are the rule's own.
        known = ctx.memory.get(fingerprint) or {"ts": facts.ts, "uses": [], "peak": [0, 0]}
        uses = {u[3]: u for u in known["uses"]}
        for row in members:
            uses.setdefault(row[3], list(row))
        ordered = sorted(uses.values(), key=lambda r: (r[0], r[3]))
        peak = [max(peak[0], known["peak"][0]), max(peak[1], known["peak"][1])]
        ctx.memory.put(fingerprint, {"ts": max(known["ts"], facts.ts), "uses": ordered, "peak": peak})
        customers = sorted({r[1] for r in ordered if r[1]})
        locations = sorted({r[2] for r in ordered if r[2]})
        first = ordered[0]
        out.append(
            Finding(
                summary=f"card used by up to {peak[0]} customers at up to {peak[1]} locations within "
                f"{ctx.whole('window_hours')} h",
                subject=ctx.subject(
                    [],
                    customer_id=first[1],
                    customer_tier=None,
                    location_id=first[2],
                    employee_id=None,
                    station_id=None,
                    drawer_session_id=None,
                    local_time=None,
                ),
                occurred_at=datetime.fromtimestamp(first[0], UTC),
                entity_id=fingerprint,
                measurements={
                    "customers": len(customers),
                    "locations": len(locations),
                    "uses": len(ordered),
                    "peak_customers": peak[0],
                    "peak_locations": peak[1],
                },
                evidence={
                    "uses": [
                        {"at": r[0], "customer_id": r[1], "location_id": r[2], "transaction_id": r[3]}
                        for r in ordered
                    ],
                },
                episode=fingerprint,
                extent=len(ordered),
                bundle_key=f"C-005|{fingerprint}",
            )
        )
    return out


def _in_busy_windows(
    rows: list[list[Any]], window: float, limits: tuple[int, int]
) -> tuple[list[list[Any]], list[int]]:
    """The uses (sorted by time) in some span of ``window`` seconds with at least ``limits``
    distinct customers or locations, and the most of each seen in one such span."""
    inside = [False] * len(rows)
    peak = [0, 0]
    for first in range(len(rows)):
        last = first
        while last + 1 < len(rows) and rows[last + 1][0] - rows[first][0] <= window:
            last += 1
        span = rows[first : last + 1]
        customers = len({r[1] for r in span if r[1]})
        locations = len({r[2] for r in span if r[2]})
        if customers >= limits[0] or locations >= limits[1]:
            inside[first : last + 1] = [True] * len(span)
            peak = [max(peak[0], customers), max(peak[1], locations)]
    return [row for row, hit in zip(rows, inside, strict=True) if hit], peak


RULES = (card_velocity,)
