"""Drawer and session (Q.2.4): count gaps at close, activity after close, drawer reactivation."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.rules.context import RuleContext
from core.rules.facts import Facts
from core.rules.model import Family, Finding, Parameter, Scope, Severity, Subject, Substrate, rule
from core.rules.state import RuleState, Window
from core.rules.windows import DAY
from core.text import money

MINUTE = 60.0
CONTROL_EVENTS = frozenset({"NO_SALE", "PAID_IN", "PAID_OUT"})

# Q-DS-02's and Q-DS-03's history: each drawer session, 30 days: [ts, closed at (None while open),
# state, ever reopened or reactivated, versions]. The versions ([version key, state, closed at,
# reactivated, ts], the newest 20) are replayed in version-key order, so the session's close and any
# reopening are the vendor's, whatever order its versions arrive in.
DRAWERS: Window[list[Any]] = Window(
    "drawers", key="drawer session: [ts, closed at, state, reopened, versions]", retention=30 * DAY, shards=4
)
VERSIONS_KEPT = 20


@dataclass(frozen=True, slots=True)
class Session:
    closed_at: float | None
    state: str | None
    reopened: bool
    reopened_ts: float | None  # the time of the version that first reopened it
    versions: list[list[Any]]


def _versions(held: list[Any] | None) -> list[list[Any]]:
    if held is None:
        return []
    if len(held) > 4:
        return [list(v) for v in held[4]]
    # State written before versions were kept: one version, older than any with a key.
    return [["", held[2], held[1], bool(held[3]), float(held[0])]]


def _replay(versions: list[list[Any]]) -> Session:
    closed: float | None = None
    state = None
    reopened, reopened_ts = False, None
    for _key, version_state, closed_ts, reactivated, ts in versions:
        again = closed is not None and version_state == "OPEN"
        closed = closed_ts if closed_ts is not None else (None if again else closed)
        if (again or reactivated) and not reopened:
            reopened, reopened_ts = True, float(ts)
        state = version_state
    return Session(closed, state, reopened, reopened_ts, versions)


def session_as_known(state: RuleState, facts: Facts) -> tuple[Session | None, Session] | None:
    """The event's drawer session before it and with it, or None when this version is already known."""
    shift = facts.drawer_shift
    assert shift is not None
    held = DRAWERS.get(state, shift.id)
    versions = _versions(held)
    key = shift.version_key
    if any(v[0] == key for v in versions):
        return None
    closed = shift.closed_at or shift.ended_at
    row = [key, shift.state, closed.timestamp() if closed else None, bool(shift.reactivated), facts.ts]
    added = sorted([*versions, row], key=lambda v: str(v[0]))[-VERSIONS_KEPT:]
    return (_replay(versions) if held is not None else None), _replay(added)


@DRAWERS.folds
def _fold_drawers(state: RuleState, facts: Facts) -> None:
    if facts.drawer_shift is None:
        return
    known = session_as_known(state, facts)
    if known is None:
        return
    held = DRAWERS.get(state, facts.drawer_shift.id)
    now = known[1]
    ts = max(facts.ts, float(held[0])) if held else facts.ts
    DRAWERS.put(state, facts.drawer_shift.id, [ts, now.closed_at, now.state, now.reopened, now.versions])


# Q-DS-02's history: each drawer session's transactions by their latest activity (the 50 latest, 30
# days): [latest activity, transaction, occurred at, employee, station, location]. A close that
# arrives after the session's tickets (or moves) re-judges them.
ACTIVITY: Window[list[Any]] = Window(
    "session_activity",
    key="drawer session: its transactions [latest activity, id, occurred at, employee, station, location]",
    retention=30 * DAY,
    shards=8,
)
ACTIVITY_KEPT = 50


def _latest_activity(facts: Facts) -> float:
    stamps = [e.occurred_at.timestamp() for e in facts.audit_log if e.occurred_at is not None]
    return max([facts.ts, *stamps])


@ACTIVITY.folds
def _fold_activity(state: RuleState, facts: Facts) -> None:
    txn = facts.transaction
    if txn is None or not txn.drawer_session_id:
        return
    rows = [list(r) for r in ACTIVITY.get(state, txn.drawer_session_id) or []]
    latest = _latest_activity(facts)
    mine = next((r for r in rows if r[1] == txn.id), None)
    if mine is not None and mine[0] >= latest:
        return
    rows = [r for r in rows if r[1] != txn.id]
    rows.append(
        [latest, txn.id, txn.occurred_at.timestamp(), txn.employee_id, txn.device_id, txn.location_id]
    )
    rows.sort(key=lambda r: (-float(r[0]), str(r[1])))
    ACTIVITY.put(state, txn.drawer_session_id, rows[:ACTIVITY_KEPT])


@rule(
    id="Q-DS-01",
    family=Family.DRAWER,
    title="Counted vs expected cash gap at drawer close",
    requires=("drawer_shift.counted_cash_cents", "drawer_shift.expected_cash_cents"),
    triggers=("drawer_shift",),
    parameters=(
        Parameter("gap_cents", 1_000, "Gap in money that fires on its own", 100, 1_000_000, unit="cents"),
        Parameter(
            "gap_pct",
            2.0,
            "Gap as a percent of expected cash that fires (with at least 100 cents)",
            0.1,
            100.0,
            unit="%",
        ),
        Parameter("include_overages", True, "Flag drawers over as well as short (unrung sales show as over)"),
    ),
    allow_scopes=(Scope.EMPLOYEE, Scope.STATION, Scope.LOCATION),
    severity=Severity.LOW,
    vertical_note="recurring per-employee shrink bundles into one case (bundle key = employee)",
)
def drawer_count_gap(ctx: RuleContext) -> Iterable[Finding]:
    """At drawer close, the counted cash differs from the expected cash by more than the money
    threshold or the percentage threshold. Each close fires once; findings bundle per employee so
    recurring shrink becomes one case."""
    shift = ctx.facts.drawer_shift
    if shift is None or shift.state not in ("ENDED", "CLOSED"):
        return []
    if shift.counted_cash_cents is None or shift.expected_cash_cents is None:
        return []
    gap = shift.counted_cash_cents - shift.expected_cash_cents
    if gap == 0 or (gap > 0 and not ctx.flag("include_overages")):
        return []
    pct = abs(gap) * 100.0 / max(shift.expected_cash_cents, 1)
    threshold = ctx.whole("gap_cents")
    if abs(gap) < threshold and (pct < ctx.num("gap_pct") or abs(gap) < 100):
        return []
    employee = shift.closing_employee_id or shift.opening_employee_id
    return [
        Finding(
            summary=f"drawer {'short' if gap < 0 else 'over'} by {money(abs(gap), shift.currency)} "
            f"({pct:.1f} %)",
            subject=ctx.subject(
                [],
                employee_id=employee,
                station_id=shift.device_id,
                location_id=shift.location_id,
                drawer_session_id=shift.id,
            ),
            occurred_at=shift.closed_at or shift.ended_at or ctx.facts.occurred_at,
            entity_id=shift.id,
            severity=Severity.MEDIUM if abs(gap) >= 5 * threshold else None,
            measurements={
                "gap_cents": gap,
                "gap_pct": round(pct, 2),
                "expected_cents": shift.expected_cash_cents,
                "counted_cents": shift.counted_cash_cents,
            },
            evidence={"drawer_shift": shift, "drawer_events": ctx.facts.drawer_events},
            dedupe_key=shift.id,
            bundle_key=f"Q-DS-01|{employee}",
        )
    ]


@rule(
    id="Q-DS-02",
    family=Family.DRAWER,
    title="Activity after drawer close",
    requires=(
        "drawer_shift.closed_at|drawer_shift.ended_at",
        "transaction.drawer_session_id|drawer_events.occurred_at",
    ),
    optional=("audit_log.occurred_at",),
    triggers=("transaction", "drawer_shift"),
    parameters=(
        Parameter("grace_minutes", 15, "Minutes after close before activity counts", 0, 1440, unit="minutes"),
    ),
    allow_scopes=(Scope.EMPLOYEE, Scope.STATION, Scope.LOCATION),
    severity=Severity.MEDIUM,
    history=(DRAWERS, ACTIVITY),
)
def activity_after_close(ctx: RuleContext) -> Iterable[Finding]:
    """Money or drawer activity recorded against a drawer session after it was closed, beyond the
    grace window: a no-sale or paid-out logged after the shift ended, or a ticket (or an audit-log
    entry on it) in a session already closed. A close that arrives after the session's tickets
    judges them when it does, and a reopening (or a later close) withdraws those it no longer
    leaves after the close."""
    facts = ctx.facts
    grace = ctx.whole("grace_minutes") * MINUTE
    shift = facts.drawer_shift
    if shift is not None:
        return [*_late_drawer_events(ctx, grace), *_rejudged(ctx, grace)]
    txn = facts.transaction
    if txn is None or not txn.drawer_session_id:
        return []
    held = DRAWERS.get(ctx.state, txn.drawer_session_id)
    if held is None or held[1] is None:
        return []
    latest = _latest_activity(facts)
    if latest <= held[1] + grace:
        return []
    return [
        _after_close(
            ctx,
            [latest, txn.id, txn.occurred_at.timestamp(), txn.employee_id, txn.device_id, txn.location_id],
            txn.drawer_session_id,
            held[1],
        )
    ]


def _after_close(ctx: RuleContext, row: list[Any], session: str, closed: float) -> Finding:
    latest, txn_id, occurred, employee, station, location = row
    this = ctx.facts.transaction
    evidence: dict[str, Any] = {"drawer": {"session": session, "closed_ts": closed}}
    if this is not None and this.id == txn_id:
        evidence.update(transaction=this, audit_log=ctx.facts.audit_log)
    else:
        evidence["transaction_id"] = txn_id
    return Finding(
        summary=f"activity {round((latest - closed) / 60)} min after drawer session closed",
        subject=ctx.subject(
            [] if this is None else None,
            **(
                {}
                if this is not None and this.id == txn_id
                else {
                    "employee_id": employee,
                    "station_id": station,
                    "location_id": location,
                    "drawer_session_id": session,
                    "customer_id": None,
                    "customer_tier": None,
                }
            ),
        ),
        occurred_at=datetime.fromtimestamp(float(occurred), UTC),
        entity_id=txn_id,
        measurements={"closed_ts": closed, "minutes_after": round((latest - closed) / 60, 1)},
        evidence=evidence,
        episode=f"after-close|{txn_id}",
        extent=1,
    )


def _rejudged(ctx: RuleContext, grace: float) -> list[Finding]:
    """The session's transactions judged again when its close arrives or moves."""
    shift = ctx.facts.drawer_shift
    assert shift is not None
    known = session_as_known(ctx.state, ctx.facts)
    if known is None:
        return []
    before, now = known
    was = before.closed_at if before is not None else None
    if was == now.closed_at:
        return []
    out = []
    for row in ACTIVITY.get(ctx.state, shift.id) or []:
        after_was = was is not None and row[0] > was + grace
        if now.closed_at is not None and row[0] > now.closed_at + grace:
            out.append(_after_close(ctx, list(row), shift.id, now.closed_at))
        elif after_was:
            out.append(
                Finding.withdrawal(
                    f"after-close|{row[1]}",
                    "the drawer session was reopened or closed later",
                    ctx.facts.occurred_at,
                )
            )
    return out


def _late_drawer_events(ctx: RuleContext, grace: float) -> list[Finding]:
    shift = ctx.facts.drawer_shift
    assert shift is not None
    closed = shift.closed_at or shift.ended_at
    if closed is None:
        return []
    limit = closed + timedelta(seconds=grace)
    # NO_SALE, PAID_IN and PAID_OUT also arrive as transactions of their own (judged below), so
    # only the other drawer events (cash payments, refunds) are judged here.
    late = [
        e for e in ctx.facts.drawer_events if e.occurred_at > limit and e.event_type not in CONTROL_EVENTS
    ]
    if not late:
        return []
    first = late[0]
    return [
        Finding(
            summary=f"{len(late)} drawer event(s) after the drawer closed "
            f"({', '.join(e.event_type for e in late)})",
            subject=ctx.subject(
                [],
                employee_id=first.employee_id or shift.closing_employee_id,
                station_id=shift.device_id,
                location_id=shift.location_id,
                drawer_session_id=shift.id,
            ),
            occurred_at=first.occurred_at,
            entity_id=shift.id,
            measurements={
                "late_events": len(late),
                "closed_at": closed.isoformat(),
                "minutes_after": round((first.occurred_at - closed).total_seconds() / 60, 1),
            },
            evidence={"drawer_shift": shift, "drawer_events": late},
            dedupe_key=f"{shift.id}|{len(late)}",
        )
    ]


@rule(
    id="Q-DS-03",
    family=Family.DRAWER,
    title="Drawer reactivation",
    requires=("drawer_shift.state",),
    optional=("drawer_shift.reactivated", "store_config.allow_drawer_reactivation"),
    triggers=("drawer_shift", "store_config"),
    parameters=(
        Parameter(
            "flag_when_store_allows",
            True,
            "Also flag where the store allows reactivation (ALLOW_DRW_REACTIV); then at low severity",
        ),
    ),
    allow_scopes=(Scope.EMPLOYEE, Scope.STATION, Scope.LOCATION),
    severity=Severity.MEDIUM,
    substrates=(Substrate.COUNTERPOINT,),
    history=(DRAWERS,),
)
def drawer_reactivation(ctx: RuleContext) -> Iterable[Finding]:
    """A drawer session reopened after it was closed: the substrate marks it reactivated, or a
    version of it reports open after one that reported it closed (in the vendor's version order,
    whatever order they arrive in). High severity where the store forbids reactivation; a store
    configuration arriving later re-judges the store's reopened sessions."""
    facts = ctx.facts
    if facts.store_config is not None:
        return _store_changed(ctx)
    shift = facts.drawer_shift
    if shift is None:
        return []
    known = session_as_known(ctx.state, facts)
    if known is None or not known[1].reopened:
        return []
    now = known[1]
    seen = {
        "ts": facts.ts,
        "at": now.reopened_ts,
        "employee": shift.opening_employee_id or shift.closing_employee_id,
        "station": shift.device_id,
        "location": shift.location_id,
        "seen_closed": any(v[2] is not None for v in now.versions),
        "versions": len(now.versions),
    }
    store = ctx.store(shift.location_id)
    seen["allowed"] = store.allow_drawer_reactivation if store is not None else None
    ctx.memory.put(f"session|{shift.id}", seen)
    if shift.location_id:
        index = f"location|{shift.location_id}"
        sessions = (ctx.memory.get(index) or {"sessions": []})["sessions"]
        if shift.id not in sessions:
            live = [s for s in sessions if DRAWERS.get(ctx.state, s) is not None]  # the others expired
            ctx.memory.put(index, {"ts": facts.ts, "sessions": sorted([*live, shift.id])})
    found = _reactivation(ctx, shift.id, seen)
    return [] if found is None else [found]


def _store_changed(ctx: RuleContext) -> list[Finding]:
    """The location's reopened sessions judged again when its reactivation setting changes."""
    config = ctx.facts.store_config
    assert config is not None
    allowed = config.allow_drawer_reactivation
    out = []
    index = ctx.memory.get(f"location|{config.location_id}") or {"sessions": []}
    for session in index["sessions"]:
        seen = ctx.memory.get(f"session|{session}")
        if seen is None or seen["allowed"] == allowed or DRAWERS.get(ctx.state, session) is None:
            continue
        seen = {**seen, "allowed": allowed, "ts": max(ctx.facts.ts, seen["ts"])}
        ctx.memory.put(f"session|{session}", seen)
        out.append(
            Finding.withdrawal(session, "the store's reactivation setting changed", ctx.facts.occurred_at)
        )
        found = _reactivation(ctx, session, seen)
        if found is not None:
            out.append(found)
    return out


def _reactivation(ctx: RuleContext, session: str, seen: dict[str, Any]) -> Finding | None:
    allowed = seen["allowed"]
    if allowed and not ctx.flag("flag_when_store_allows"):
        return None
    severity = Severity.HIGH if allowed is False else (Severity.LOW if allowed else None)
    shift = ctx.facts.drawer_shift
    return Finding(
        summary="drawer session reactivated after close"
        + (" (store forbids it)" if allowed is False else ""),
        subject=Subject(
            employee_id=seen["employee"],
            station_id=seen["station"],
            location_id=seen["location"],
            drawer_session_id=session,
        ),
        occurred_at=datetime.fromtimestamp(float(seen["at"]), UTC),
        entity_id=session,
        severity=severity,
        measurements={"store_allows": allowed, "seen_closed_before": bool(seen["seen_closed"])},
        evidence={
            "drawer_shift": shift if shift is not None and shift.id == session else {"id": session},
            "store_config": ctx.facts.store_config or ctx.store(seen["location"]),
        },
        episode=session,
        extent=int(seen["versions"]),
    )


RULES = (drawer_count_gap, activity_after_close, drawer_reactivation)
