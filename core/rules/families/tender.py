"""Tender mix (Q.2.3): a session's cash share against its station's baseline, card-to-cash tender
swaps after the fact, and payment fragmentation."""

from __future__ import annotations

import bisect
import math
import operator
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core.domain.sales import Transaction
from core.rules.context import RuleContext
from core.rules.facts import Facts
from core.rules.model import Family, Finding, Parameter, Scope, Severity, rule
from core.rules.state import RuleState, Window
from core.rules.versions import Version, Versions, version_finding
from core.rules.windows import SALE_TYPES, TXN, audit_mentions, local_day, session_key, tender_split
from core.text import money

MIN_SPREAD = 0.02  # a station whose sessions are all alike still varies by a couple of points

# Q-TM-01's history --------------------------------------------------------------------------------
#
# Per station, every session the windows hold (the last ``SESSIONS_KEPT`` by start), in event time:
# ``[key, first, last, cash, total, sales, squares, employee, local day, closed by its drawer]``. A
# session is closed when its drawer closes or a later session of the station has started (its first
# sale at or after this one's last). A sale is counted once, by its transaction id: a redelivery adds
# nothing, and a later version replaces the earlier one's money. An event judges the sessions it
# closes; a late sale or session also re-judges the closed sessions it falls into or precedes (their
# baseline is the station's closed sessions before them), so the answer is the event-time one.

BASELINE_KEPT = 200
SESSIONS_KEPT = BASELINE_KEPT + 1
STATIONS: Window[dict[str, Any]] = Window(
    "stations", key="station: its sessions in event time (the last 201 by start)", shards=4
)
# Where the sessions were kept before they were kept in event time: read once per station, then dropped.
OLD_SESSIONS: Window[dict[str, Any]] = Window("sessions", key="station: its open session", shards=1)
OLD_BASELINES: Window[list[Any]] = Window("baselines", key="station: closed sessions' shares", shards=1)
_KEY, _FIRST, _LAST, _CASH, _TOTAL, _SALES, _SQUARES, _EMPLOYEE, _DAY, _CLOSED = range(10)
_last_of = operator.itemgetter(_LAST)


@dataclass(frozen=True)
class SessionClose:
    station: str
    session: str
    cash_cents: int
    total_cents: int
    transactions: int
    first_ts: float
    last_ts: float
    employee: str | None
    local_day: str
    baseline: tuple[tuple[float, int], ...]  # (cash share, transactions) of earlier sessions
    squares: float = 0.0  # sum of each sale's tendered total squared (0: not recorded)

    @property
    def share(self) -> float:
        return self.cash_cents / self.total_cents if self.total_cents else 0.0

    @property
    def effective_sales(self) -> float:
        """How many equal-sized sales the money-weighted share is worth (Kish: (Σa)² / Σa²). A session
        with one big ticket among small ones is decided by that ticket, whatever its count says."""
        if self.squares <= 0 or self.total_cents <= 0:
            return float(self.transactions)
        return min(float(self.transactions), self.total_cents**2 / self.squares)


def closures(state: RuleState, facts: Facts) -> list[SessionClose]:
    """Sessions this event closes or changes once closed, each with its baseline. Worked out once per
    event (Q-TM-01 asks, then ``apply`` stores the station's sessions)."""
    held = _station_view(state, facts)
    return [] if held is None else held[2]


def _station_rows(state: RuleState, station: str) -> list[list[Any]]:
    held = STATIONS.get(state, station)
    if held is not None:
        return list(held["s"])  # the rows themselves are copied only when they change (_own)
    # State written before sessions were kept in event time: the closed sessions' shares and the
    # open session, as the earliest rows.
    rows: list[list[Any]] = []
    for n, (share, count) in enumerate(OLD_BASELINES.get(state, station) or []):
        rows.append(
            [
                f"~{n}",
                float(n),
                float(n),
                round(float(share) * 10_000),
                10_000,
                int(count),
                0.0,
                None,
                "",
                True,
            ]
        )
    old = OLD_SESSIONS.get(state, station)
    if old is not None:
        rows.append(
            [
                old["s"],
                old["first"],
                old["last"],
                old["cash"],
                old["total"],
                old["n"],
                float(old.get("sq", 0.0)),
                old.get("emp"),
                old.get("day", ""),
                False,
            ]
        )
    return rows


def _closed(rows: list[list[Any]]) -> list[bool]:
    out = [False] * len(rows)
    later = float("-inf")  # the latest start among the later sessions that have sales
    for i in range(len(rows) - 1, -1, -1):
        row = rows[i]
        out[i] = bool(row[_CLOSED]) or later >= row[_LAST]
        if row[_SALES] > 0:
            later = max(later, row[_FIRST])
    return out


def _station_view(state: RuleState, facts: Facts) -> tuple[str, list[list[Any]], list[SessionClose]] | None:
    held = facts.scratch.get("stations")
    if held is None:
        held = facts.scratch["stations"] = _work_out_station(state, facts) or ()
    return held or None


def _work_out_station(
    state: RuleState, facts: Facts
) -> tuple[str, list[list[Any]], list[SessionClose]] | None:
    txn, shift = facts.transaction, facts.drawer_shift
    sale = txn is not None and txn.device_id and txn.type in SALE_TYPES and session_key(txn) is not None
    close = shift is not None and shift.device_id and shift.state in ("ENDED", "CLOSED")
    if not sale and not close:
        return None
    station = str(txn.device_id if sale and txn is not None else shift.device_id if shift else "")
    if sale and not close and txn is not None:
        # The usual case, a sale joining the station's latest open session at or after its start,
        # closes nothing and changes no closed session: only that row is copied and updated.
        held = STATIONS.get(state, station)
        latest = held["s"][-1] if held is not None and held["s"] else None
        if (
            latest is not None
            and latest[_KEY] == session_key(txn)
            and latest[_SALES] > 0
            and not latest[_CLOSED]
            and facts.ts >= latest[_FIRST]
        ):
            only = [latest]  # _add_sale copies the row before changing it
            if _add_sale(state, facts, txn, only) is None:
                return None
            return station, [*held["s"][:-1], only[0]], []  # type: ignore[index]
    rows = _station_rows(state, station)
    before = dict(zip((r[_KEY] for r in rows), _closed(rows), strict=True))
    changed: str | None = None
    if sale and txn is not None:
        changed = _add_sale(state, facts, txn, rows)
    if close and shift is not None:
        changed = _close_drawer(facts, shift.id, rows) or changed
    if changed is None:
        return None
    rows.sort(key=lambda r: (r[_FIRST], r[_KEY]))
    rows = rows[-SESSIONS_KEPT:]
    now = _closed(rows)
    judge = [
        i
        for i, row in enumerate(rows)
        if now[i] and (not before.get(row[_KEY], False) or row[_KEY] == changed)
    ]
    moved = next((i for i, row in enumerate(rows) if row[_KEY] == changed and now[i]), None)
    if moved is not None:  # a closed session changed: the later sessions' baselines include it
        judge = sorted({*judge, *(i for i in range(moved, len(rows)) if now[i])})
    # Each closed session's (share, sales) once, with its position: a session's baseline is the
    # closed sessions before it.
    closed_at = (
        [i for i, (r, shut) in enumerate(zip(rows, now, strict=True)) if shut and r[_TOTAL] > 0]
        if judge
        else []
    )
    shares = [(round(rows[i][_CASH] / rows[i][_TOTAL], 4), int(rows[i][_SALES])) for i in closed_at]
    out = []
    for i in judge:
        row = rows[i]
        upto = bisect.bisect_left(closed_at, i)
        base = tuple(shares[max(upto - BASELINE_KEPT, 0) : upto])
        out.append(
            SessionClose(
                station=station,
                session=row[_KEY],
                cash_cents=int(row[_CASH]),
                total_cents=int(row[_TOTAL]),
                transactions=int(row[_SALES]),
                first_ts=float(row[_FIRST]),
                last_ts=float(row[_LAST]),
                employee=row[_EMPLOYEE],
                local_day=row[_DAY],
                baseline=base,
                squares=float(row[_SQUARES]),
            )
        )
    return station, rows, out


def _add_sale(state: RuleState, facts: Facts, txn: Transaction, rows: list[list[Any]]) -> str | None:
    key = session_key(txn)
    cash, _card, total = tender_split(facts)
    prior = TXN.get(state, txn.id)
    if prior is None:
        delta = (cash, total, 1, float(total) ** 2)
    elif prior[6] >= txn.version_key:
        return None  # a redelivery, or an older version arriving after a newer one
    else:  # a later version of a sale already counted: its money replaces the earlier version's
        before = prior[7] if len(prior) > 7 else prior[4] + prior[5]
        delta = (cash - prior[4], total - before, 0, float(total) ** 2 - float(before) ** 2)
    ts = facts.ts
    row = next((r for r in rows if r[_KEY] == key), None)
    if row is None:
        row = [key, ts, ts, 0, 0, 0, 0.0, txn.employee_id, local_day(txn), False]
        rows.append(row)
    else:
        row = _own(rows, row)
    if row[_SALES] == 0 or ts < row[_FIRST]:  # the session's earliest sale names it
        row[_FIRST] = ts if row[_SALES] == 0 else min(row[_FIRST], ts)
        row[_EMPLOYEE], row[_DAY] = txn.employee_id, local_day(txn)
    if row[_SALES] == 0:
        row[_LAST] = ts
    row[_LAST] = max(row[_LAST], ts)
    row[_CASH] += delta[0]
    row[_TOTAL] += delta[1]
    row[_SALES] += delta[2]
    row[_SQUARES] = max(row[_SQUARES] + delta[3], 0.0)
    return str(key)


def _close_drawer(facts: Facts, shift_id: str, rows: list[list[Any]]) -> str | None:
    """A drawer close ends its session, or, where sessions are a station's business days, the latest
    day session begun by then. A close that arrives before any of its session's sales is kept as an
    empty closed session the sales then join."""
    row = next((r for r in rows if r[_KEY] == shift_id), None)
    if row is None:
        days = [r for r in rows if "|" in str(r[_KEY]) and r[_FIRST] <= facts.ts and r[_SALES] > 0]
        row = max(days, key=lambda r: (r[_FIRST], r[_KEY])) if days else None
    if row is None:
        if any("|" in str(r[_KEY]) for r in rows):
            return None
        row = [shift_id, facts.ts, facts.ts, 0, 0, 0, 0.0, None, "", False]
        rows.append(row)
    if row[_CLOSED]:
        return None
    _own(rows, row)[_CLOSED] = True
    return str(row[_KEY])


def _own(rows: list[list[Any]], row: list[Any]) -> list[Any]:
    """``row`` replaced in ``rows`` by a copy, which is returned to be changed: the rows read from
    the window are the state as it stood before the event, shared with ``rows`` until one changes."""
    copy = list(row)
    rows[next(i for i, r in enumerate(rows) if r is row)] = copy
    return copy


@STATIONS.folds
def _fold_stations(state: RuleState, facts: Facts) -> None:
    held = _station_view(state, facts)
    if held is None:
        return
    station, rows, _judged = held
    STATIONS.put(state, station, {"ts": max(map(_last_of, rows), default=facts.ts), "s": rows})
    OLD_BASELINES.pop(state, station)
    OLD_SESSIONS.pop(state, station)


# Rules --------------------------------------------------------------------------------------------


@rule(
    id="Q-TM-01",
    family=Family.TENDER,
    title="Session cash share far from the station's rolling baseline",
    requires=("tenders.tender_type", "tenders.amount_cents", "transaction.device_id"),
    optional=("transaction.drawer_session_id", "drawer_shift.state"),
    triggers=("transaction", "drawer_shift"),
    parameters=(
        Parameter("min_transactions", 5, "Sales a session needs before its share means anything", 1, 500),
        Parameter("min_baseline_sessions", 5, "Earlier sessions the station needs for a baseline", 2, 200),
        Parameter(
            "deviation_points",
            30.0,
            "Smallest gap from the baseline mean, in percentage points",
            1.0,
            100.0,
            unit="points",
        ),
        Parameter("z_threshold", 3.0, "Smallest gap in baseline standard deviations", 0.0, 20.0),
    ),
    allow_scopes=(Scope.STATION, Scope.EMPLOYEE, Scope.LOCATION, Scope.TIME_WINDOW),
    severity=Severity.LOW,
    vertical_note="farmers-market and event days are cash-heavy: allow-list them by time window and station",
    history=(
        STATIONS,
        TXN,
        OLD_SESSIONS,
        OLD_BASELINES,
    ),
)
def session_cash_share(ctx: RuleContext) -> Iterable[Finding]:
    """When a drawer session closes (its drawer is closed, or the station starts its next session or
    business day), its cash share of tendered sales is compared with the station's earlier sessions:
    it fires when the gap is both large in points and large in standard deviations. The deviation
    allowed grows for a session with few (or a few dominant) sales: four cash customers out of ten
    is chance, not a pattern. Sessions and baselines are worked out in event time: a sale or session
    that arrives late re-judges the closed sessions it belongs to or precedes, and one detection per
    session is updated as more of its sales or baseline arrive."""
    out = []
    minimum = ctx.whole("min_transactions")
    for closed in closures(ctx.state, ctx.facts):
        if closed.transactions < minimum or closed.total_cents <= 0:
            continue
        base = [share for share, count in closed.baseline if count >= minimum]
        if len(base) < ctx.whole("min_baseline_sessions"):
            continue
        mean = statistics.fmean(base)
        # Population spread in floats: statistics.pstdev is exact (fractions), ~50x slower, and this
        # runs at every session close; shares in [0, 1] lose nothing that matters at float precision.
        spread = max(math.sqrt(statistics.fmean((share - mean) ** 2 for share in base)), MIN_SPREAD)
        # How far a new session may fall from the baseline by chance. The spread is estimated from a
        # few sessions, so it is taken with k - 1 and widened by the uncertainty of the mean (a
        # prediction interval: s² (1 + 1/k)); and a smaller or lumpier session's share carries its
        # own sampling noise, p(1-p) over its effective number of sales (the share is money-weighted,
        # so one large cash ticket moves it like several small ones).
        k = len(base)
        sampling = mean * (1 - mean) / closed.effective_sales
        deviation = math.sqrt(spread**2 * k / (k - 1) * (1 + 1 / k) + sampling)
        gap = closed.share - mean
        z = abs(gap) / deviation
        if abs(gap) * 100 < ctx.num("deviation_points") or z < ctx.num("z_threshold"):
            continue
        out.append(
            Finding(
                summary=f"session cash share {closed.share:.0%} vs station baseline {mean:.0%}",
                subject=ctx.subject(
                    [],
                    station_id=closed.station,
                    employee_id=closed.employee,
                    drawer_session_id=closed.session,
                    local_time=closed.local_day,
                    customer_id=None,
                    customer_tier=None,
                ),
                occurred_at=datetime.fromtimestamp(closed.last_ts, UTC),
                entity_id=closed.session,
                measurements={
                    "cash_share": round(closed.share, 4),
                    "baseline_mean": round(mean, 4),
                    "baseline_sd": round(spread, 4),
                    "session_sd": round(deviation, 4),
                    "effective_sales": round(closed.effective_sales, 1),
                    "z": round(z, 2),
                    "baseline_sessions": len(base),
                    "transactions": closed.transactions,
                },
                evidence={
                    "session": {
                        "station": closed.station,
                        "session": closed.session,
                        "cash_cents": closed.cash_cents,
                        "total_cents": closed.total_cents,
                        "transactions": closed.transactions,
                        "first_ts": closed.first_ts,
                        "last_ts": closed.last_ts,
                        "employee": closed.employee,
                    },
                    "baseline_shares": base[-50:],
                },
                episode=f"{closed.station}|{closed.session}",
                extent=closed.transactions + len(base),
            )
        )
    return out


SWAPS = Versions("swap_versions")  # Q-TM-02: each transaction's versions, in version-key order


@rule(
    id="Q-TM-02",
    family=Family.TENDER,
    title="Tender swapped from card to cash after the fact",
    requires=("tenders.tender_type", "tenders.amount_cents"),
    optional=("audit_log.log_entry",),
    triggers=("transaction",),
    parameters=(
        Parameter(
            "min_swap_cents", 500, "Smallest amount moved from card to cash", 0, 10_000_000, unit="cents"
        ),
        Parameter(
            "swap_patterns",
            (
                "changed tender",
                "change tender",
                "tender changed",
                "payment changed",
                "changed payment",
                "changed pay code",
            ),
            "Audit-log text (lower case) that records a tender change (ASSUMPTION-Q-01)",
        ),
    ),
    allow_scopes=(Scope.EMPLOYEE, Scope.STATION, Scope.LOCATION),
    severity=Severity.HIGH,
    history=(TXN, SWAPS.window),
)
def tender_swap(ctx: RuleContext) -> Iterable[Finding]:
    """A transaction first seen paid by card that a later version shows paid in cash (card money
    down, cash money up by at least the minimum), or whose audit log records a tender change ending
    in cash. The card payment was reversed and the cash can walk. Versions are compared in
    version-key order whatever order they arrive in: one arriving between two known versions is
    judged against the one before it, and the one after it is judged again against it."""
    facts = ctx.facts
    txn = facts.transaction
    if txn is None:
        return []
    cash, _card, _total = tender_split(facts)
    minimum = max(ctx.whole("min_swap_cents"), 1)
    audited = None
    if cash >= minimum:
        entries = [facts.audit_log[n].seq for n in audit_mentions(facts, ctx.texts("swap_patterns"))]
        audited = entries or None
    known = SWAPS.add(ctx.state, facts, txn, audited)
    if known is None:
        return []
    versions, at = known
    out = [_swap(ctx, txn, versions, n, minimum) for n in (at, at + 1) if n < len(versions)]
    return [f for f in out if f is not None]


def _swap(
    ctx: RuleContext, txn: Transaction, versions: list[Version], n: int, minimum: int
) -> Finding | None:
    """Version ``n``'s finding (against the version before it, or its own audit log), its
    withdrawal when a version that arrived between them shows no swap, or None."""
    version = versions[n]
    episode = f"{txn.id}|{version.version_key}"
    before = versions[n - 1] if n > 0 else None
    how: dict[str, object] | None = None
    if before is not None:
        card_drop, cash_rise = before.card_cents - version.card_cents, version.cash_cents - before.cash_cents
        if card_drop >= minimum and cash_rise >= minimum:
            how = {
                "earlier_card_cents": before.card_cents,
                "earlier_cash_cents": before.cash_cents,
                "moved_cents": min(card_drop, cash_rise),
            }
    if how is None and version.own:
        how = {"audit_entries": list(version.own), "cash_cents": version.cash_cents}
    if how is None:
        if before is None:
            return None
        return Finding.withdrawal(episode, "a version between them shows no swap", ctx.facts.occurred_at)
    facts = ctx.facts
    return version_finding(
        ctx,
        txn,
        versions,
        n,
        summary="card tender replaced by cash after the sale",
        measurements={**how, "card_cents": version.card_cents, "cash_cents": version.cash_cents},
        evidence={"transaction": txn, "tenders": facts.tenders, "audit_log": facts.audit_log},
    )


@rule(
    id="Q-TM-03",
    family=Family.TENDER,
    title="Payment fragmentation",
    requires=("tenders.amount_cents", "tenders.tender_no"),
    optional=("tenders.card_fingerprint",),
    triggers=("transaction",),
    parameters=(
        Parameter("min_tenders", 3, "Tenders on one ticket that make it fragmented", 2, 50),
        Parameter(
            "min_total_cents", 5_000, "Smallest ticket total that counts", 0, 100_000_000, unit="cents"
        ),
    ),
    allow_scopes=(Scope.CUSTOMER, Scope.EMPLOYEE, Scope.STATION, Scope.LOCATION),
    severity=Severity.LOW,
)
def payment_fragmentation(ctx: RuleContext) -> Iterable[Finding]:
    """One ticket paid in many pieces (several cards, gift cards or a card split under a limit): at
    least the minimum number of tenders on a ticket of at least the minimum total. A ticket's tenders
    are gathered across its events (keyed on the tender number), because a vendor may deliver them
    one at a time (each Square ``payment.*`` webhook carries one); the ticket is reported once, timed
    by its earliest event and updated as more tenders arrive."""
    txn = ctx.facts.transaction
    if txn is None or txn.type not in ("SALE", "EXCHANGE"):
        return []
    held = ctx.memory.get(txn.id) or {"tenders": {}}
    tenders: dict[str, list[Any]] = dict(held["tenders"])
    for t in ctx.facts.tenders:
        tenders[t.tender_no] = [t.amount_cents, t.card_fingerprint, t.tender_type]
    first = min(float(held.get("first", ctx.facts.ts)), ctx.facts.ts)  # the ticket's earliest event
    if tenders != held["tenders"] or first != held.get("first"):
        ctx.memory.put(
            txn.id, {"ts": max(ctx.facts.ts, held.get("ts", 0.0)), "tenders": tenders, "first": first}
        )
    paid = {no: t for no, t in sorted(tenders.items()) if t[0] > 0}
    total = sum(t[0] for t in paid.values())
    if len(paid) < ctx.whole("min_tenders") or total < ctx.whole("min_total_cents"):
        return []
    cards = {t[1] for t in paid.values() if t[1]}
    here = [t for t in ctx.facts.tenders if t.tender_no in paid]
    return [
        Finding(
            summary=f"{len(paid)} tenders on one ticket of {money(total, txn.currency)}",
            subject=ctx.subject(),
            occurred_at=datetime.fromtimestamp(first, UTC),
            entity_id=txn.id,
            measurements={
                "tenders": len(paid),
                "total_cents": total,
                "distinct_cards": len(cards),
                "tender_types": sorted({t[2] for t in paid.values()}),
                "tender_numbers": sorted(paid),
            },
            evidence={"transaction": txn, "tenders": here},
            episode=f"fragmented|{txn.id}",
            extent=len(paid),
        )
    ]


RULES = (session_cash_share, tender_swap, payment_fragmentation)
