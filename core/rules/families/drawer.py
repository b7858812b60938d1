"""Drawer and session (Q.2.4): count gaps at close, activity after close, drawer reactivation."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from core.rules.context import RuleContext
from core.rules.facts import Facts
from core.rules.model import Family, Finding, Parameter, Scope, Severity, Substrate, rule
from core.rules.state import RuleState, Window
from core.rules.windows import DAY
from core.text import money

MINUTE = 60.0
CONTROL_EVENTS = frozenset({"NO_SALE", "PAID_IN", "PAID_OUT"})

# Q-DS-02's and Q-DS-03's history: each drawer session as last seen, 30 days:
# [ts, closed at (None while open), state, ever reopened or reactivated].
DRAWERS: Window[list[Any]] = Window(
    "drawers", key="drawer session: [ts, closed at, state, reopened]", retention=30 * DAY, shards=4
)


@DRAWERS.folds
def _fold_drawers(state: RuleState, facts: Facts) -> None:
    shift = facts.drawer_shift
    if shift is None:
        return
    held = DRAWERS.get(state, shift.id)
    closed_at = shift.closed_at or shift.ended_at
    was_closed = bool(held and held[1] is not None)
    reopened = was_closed and shift.state == "OPEN"
    DRAWERS.put(
        state,
        shift.id,
        [
            facts.ts,
            closed_at.timestamp() if closed_at else (held[1] if held and not reopened else None),
            shift.state,
            bool(held and held[3]) or reopened or shift.reactivated,
        ],
    )


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
    history=(DRAWERS,),
)
def activity_after_close(ctx: RuleContext) -> Iterable[Finding]:
    """Money or drawer activity recorded against a drawer session after it was closed, beyond the
    grace window: a no-sale or paid-out logged after the shift ended, or a ticket (or an audit-log
    entry on it) in a session already seen closed."""
    facts = ctx.facts
    grace = ctx.whole("grace_minutes") * MINUTE
    shift = facts.drawer_shift
    if shift is not None:
        closed = shift.closed_at or shift.ended_at
        if closed is None:
            return []
        limit = closed + timedelta(seconds=grace)
        # NO_SALE, PAID_IN and PAID_OUT also arrive as transactions of their own (judged below), so
        # only the other drawer events (cash payments, refunds) are judged here.
        late = [
            e for e in facts.drawer_events if e.occurred_at > limit and e.event_type not in CONTROL_EVENTS
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
    txn = facts.transaction
    if txn is None or not txn.drawer_session_id:
        return []
    held = DRAWERS.get(ctx.state, txn.drawer_session_id)
    if held is None or held[1] is None:
        return []
    limit_ts = held[1] + grace
    times = [facts.ts] + [e.occurred_at.timestamp() for e in facts.audit_log if e.occurred_at is not None]
    latest = max(times)
    if latest <= limit_ts:
        return []
    return [
        Finding(
            summary=f"activity {round((latest - held[1]) / 60)} min after drawer session closed",
            subject=ctx.subject(),
            occurred_at=txn.occurred_at,
            entity_id=txn.id,
            measurements={"closed_ts": held[1], "minutes_after": round((latest - held[1]) / 60, 1)},
            evidence={
                "transaction": txn,
                "audit_log": facts.audit_log,
                "drawer": {"session": txn.drawer_session_id, "closed_ts": held[1], "state": held[2]},
            },
            dedupe_key=f"{txn.id}|{txn.version_key}",
        )
    ]


@rule(
    id="Q-DS-03",
    family=Family.DRAWER,
    title="Drawer reactivation",
    requires=("drawer_shift.state",),
    optional=("drawer_shift.reactivated", "store_config.allow_drawer_reactivation"),
    triggers=("drawer_shift",),
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
    """A drawer session reopened after it was closed: the substrate marks it reactivated, or it was
    seen closed and now reports open. High severity where the store forbids reactivation."""
    shift = ctx.facts.drawer_shift
    if shift is None:
        return []
    held = DRAWERS.get(ctx.state, shift.id)
    reopened = shift.state == "OPEN" and held is not None and held[1] is not None
    if not (shift.reactivated or reopened):
        return []
    store = ctx.store(shift.location_id)
    allowed = store.allow_drawer_reactivation if store is not None else None
    if allowed and not ctx.flag("flag_when_store_allows"):
        return []
    severity = Severity.HIGH if allowed is False else (Severity.LOW if allowed else None)
    return [
        Finding(
            summary="drawer session reactivated after close"
            + (" (store forbids it)" if allowed is False else ""),
            subject=ctx.subject(
                [],
                employee_id=shift.opening_employee_id or shift.closing_employee_id,
                station_id=shift.device_id,
                location_id=shift.location_id,
                drawer_session_id=shift.id,
            ),
            occurred_at=ctx.facts.occurred_at,
            entity_id=shift.id,
            severity=severity,
            measurements={"store_allows": allowed, "seen_closed_before": bool(reopened)},
            evidence={"drawer_shift": shift, "store_config": store},
            dedupe_key=shift.id,
        )
    ]


RULES = (drawer_count_gap, activity_after_close, drawer_reactivation)
