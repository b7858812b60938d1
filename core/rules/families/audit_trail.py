"""Audit trail (Q.2.5): edits after commit, documents handled on many stations, and the frequency
of manager overrides as a weekly trend."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from core.domain.sales import Transaction
from core.rules.context import RuleContext
from core.rules.model import Family, Finding, Parameter, Queue, Scope, Severity, Substrate, rule
from core.rules.versions import Version, Versions, version_finding
from core.rules.windows import TXN, audit_mentions, committed, local_day, mentions

EXEMPT_LINE_TYPES = frozenset({"ORDER", "LAYAWAY", "BACKORDER"})
EDITS = Versions("edit_versions")  # Q-AT-01: each transaction's versions, in version-key order


@rule(
    id="Q-AT-01",
    family=Family.AUDIT_TRAIL,
    title="Edit after commit",
    requires=(
        "transaction.committed_at|document.committed",
        "audit_log.occurred_at|transaction.amount_cents",
    ),
    triggers=("transaction",),
    parameters=(
        Parameter(
            "grace_seconds",
            60,
            "Seconds after commit in which entries are part of finishing the sale",
            0,
            86_400,
            unit="seconds",
        ),
        Parameter(
            "benign_patterns",
            ("print", "reprint", "email", "view", "posted", "commit"),
            "Audit-log text (lower case) of entries that change nothing (ASSUMPTION-Q-06)",
        ),
    ),
    allow_scopes=(Scope.EMPLOYEE, Scope.STATION, Scope.LOCATION),
    severity=Severity.HIGH,
    history=(TXN, EDITS.window),
)
def edit_after_commit(ctx: RuleContext) -> Iterable[Finding]:
    """A committed transaction that changes afterwards: an audit-log entry (other than printing or
    viewing) dated after the commit plus the grace window, or a later version of an already
    committed transaction with a different amount or different lines. Versions are compared in
    version-key order whatever order they arrive in: one arriving between two known versions is
    judged against the one before it, and the one after it is judged again against it."""
    facts = ctx.facts
    txn = facts.transaction
    if txn is None:
        return []
    late = None
    if txn.committed_at is not None and facts.audit_log and committed(facts):
        limit = txn.committed_at + timedelta(seconds=ctx.whole("grace_seconds"))
        benign = ctx.texts("benign_patterns")
        late = [
            e.seq
            for e in facts.audit_log
            if e.occurred_at is not None
            and e.occurred_at > limit
            and e.activity != "N"
            and not mentions(e.log_entry, benign)
        ] or None
    known = EDITS.add(ctx.state, facts, txn, late)
    if known is None:
        return []
    versions, at = known
    out = [_edit(ctx, txn, versions, n) for n in (at, at + 1) if n < len(versions)]
    return [f for f in out if f is not None]


def _edit(ctx: RuleContext, txn: Transaction, versions: list[Version], n: int) -> Finding | None:
    """Version ``n``'s finding (against the version before it), its withdrawal when a version that
    arrived between them leaves nothing changed, or None for a version never judged."""
    version = versions[n]
    episode = f"{txn.id}|{version.version_key}"
    if not version.committed:
        return None
    changes: dict[str, object] = {}
    if version.own:
        changes["audit_entries"] = list(version.own)
    before = versions[n - 1] if n > 0 else None
    if (
        before is not None
        and before.committed
        and (before.amount_cents != version.amount_cents or before.lines != version.lines)
    ):
        changes.update(
            earlier_amount_cents=before.amount_cents,
            amount_cents=version.amount_cents,
            lines_changed=before.lines != version.lines,
        )
    if not changes:
        if before is None:
            return None
        return Finding.withdrawal(
            episode, "a version between them shows nothing changed", ctx.facts.occurred_at
        )
    facts = ctx.facts
    return version_finding(
        ctx,
        txn,
        versions,
        n,
        summary="committed transaction changed afterwards",
        measurements=changes,
        evidence={"transaction": txn, "line_items": facts.line_items, "audit_log": facts.audit_log},
    )


@rule(
    id="Q-AT-02",
    family=Family.AUDIT_TRAIL,
    title="Document handled on three or more stations",
    requires=("audit_log.station_id",),
    optional=("document.release_ticket", "document.doc_type", "line_items.line_type"),
    triggers=("audit_log",),
    parameters=(
        Parameter("min_stations", 3, "Distinct stations in one document's audit log", 2, 20),
        Parameter(
            "exempt_workflows", True, "Skip orders, layaways and release tickets (hold-and-recall flows)"
        ),
    ),
    allow_scopes=(Scope.STATION, Scope.EMPLOYEE, Scope.LOCATION),
    severity=Severity.MEDIUM,
    substrates=(Substrate.COUNTERPOINT,),
    vertical_note="layaway and order pickup cross stations by design and are exempt",
)
def many_stations(ctx: RuleContext) -> Iterable[Finding]:
    """One document whose audit log shows it handled on at least the minimum number of distinct
    stations. Layaway, order and release-ticket workflows naturally cross stations and are exempt."""
    facts = ctx.facts
    stations = sorted({e.station_id for e in facts.audit_log if e.station_id})
    if len(stations) < ctx.whole("min_stations"):
        return []
    doc = facts.document
    if ctx.flag("exempt_workflows"):
        if doc is not None and (doc.release_ticket or doc.doc_type == "O"):
            return []
        if any(li.line_type in EXEMPT_LINE_TYPES for li in facts.line_items):
            return []
    entity = doc.id if doc is not None else facts.entity_id
    return [
        Finding(
            summary=f"document handled on {len(stations)} stations",
            subject=ctx.subject(),
            occurred_at=facts.occurred_at,
            entity_id=entity,
            measurements={"stations": stations},
            evidence={"document": doc, "audit_log": facts.audit_log},
            dedupe_key=f"{entity}|{len(stations)}",
        )
    ]


def week_of(day: str) -> str:
    year, week, _ = date.fromisoformat(day).isocalendar()
    return f"{year}-W{week:02d}"


@rule(
    id="Q-AT-03",
    family=Family.AUDIT_TRAIL,
    title="Manager-override frequency (weekly trend)",
    requires=("line_items.price_overridden|audit_log.log_entry", "transaction.employee_id"),
    triggers=("transaction",),
    parameters=(
        Parameter("min_overrides", 10, "Overrides in a week below which nothing is reported", 1, 1000),
        Parameter(
            "trend_factor", 2.0, "How many times the employee's usual week counts as a rise", 1.0, 20.0
        ),
        Parameter("baseline_weeks", 4, "Earlier weeks averaged for the employee's usual week", 1, 26),
        Parameter(
            "override_patterns",
            ("override", "manager", "mgr approval"),
            "Audit-log text (lower case) that records an override (ASSUMPTION-Q-03)",
        ),
    ),
    allow_scopes=(Scope.EMPLOYEE, Scope.LOCATION),
    severity=Severity.INFO,
    queue=Queue.TREND,
    substrates=(Substrate.COUNTERPOINT,),
    vertical_note="a pattern signal: reported once per employee-week, never per event",
)
def override_frequency(ctx: RuleContext) -> Iterable[Finding]:
    """Per employee per week, price overrides (and audit entries recording an override) are counted;
    once a week reaches both the minimum and the trend factor times the employee's average of
    earlier weeks, one trend finding is reported for that week and updated as the week's count
    grows. Counts are kept per transaction, so a redelivered ticket is not counted twice and a
    ticket that arrives late still counts in its own week."""
    facts = ctx.facts
    txn = facts.transaction
    if txn is None or not txn.employee_id:
        return []
    patterns = ctx.texts("override_patterns")
    count = sum(1 for li in facts.line_items if li.price_overridden) + len(audit_mentions(facts, patterns))
    if count == 0:
        return []
    week = week_of(local_day(txn))
    held = ctx.memory.get(txn.employee_id) or {"weeks": {}}
    weeks = {w: _per_ticket(v, facts.ts) for w, v in held["weeks"].items()}
    tickets = weeks.setdefault(week, {})
    before = tickets.get(txn.id, [0, facts.ts])
    tickets[txn.id] = [max(before[0], count), min(before[1], facts.ts)]  # the same ticket counts once
    kept = sorted(weeks)[-WEEKS_KEPT:]  # by week, not by arrival: a late week never drops a later one
    weeks = {w: weeks[w] for w in kept}
    ctx.memory.put(txn.employee_id, {"ts": max(facts.ts, held.get("ts", facts.ts)), "weeks": weeks})
    if week not in weeks:
        return []
    totals = {w: sum(n for n, _at in t.values()) for w, t in weeks.items()}
    earlier = [w for w in sorted(totals) if w < week][-ctx.whole("baseline_weeks") :]
    usual = sum(totals[w] for w in earlier) / len(earlier) if earlier else 0.0
    threshold = max(float(ctx.whole("min_overrides")), ctx.num("trend_factor") * usual)
    if totals[week] < threshold:
        return []
    return [
        Finding(
            summary=f"{txn.employee_id}: {totals[week]} overrides in {week} (usual {usual:.1f})",
            subject=ctx.subject([], customer_id=None, customer_tier=None, local_time=None),
            occurred_at=datetime.fromtimestamp(min(at for _n, at in weeks[week].values()), UTC),
            entity_id=f"{txn.employee_id}|{week}",
            measurements={
                "week": week,
                "overrides": totals[week],
                "tickets": len(weeks[week]),
                "usual_per_week": round(usual, 2),
                "threshold": threshold,
                "earlier_weeks": {w: totals[w] for w in earlier},
            },
            evidence={"weeks": totals, "tickets": {t: n for t, (n, _at) in sorted(weeks[week].items())}},
            episode=f"{txn.employee_id}|{week}",
            extent=totals[week],
        )
    ]


WEEKS_KEPT = 27  # the longest baseline (26 weeks) and the week itself


def _per_ticket(value: Any, now: float) -> dict[str, list[Any]]:
    """A week's [count, first seen] by ticket id (state written before counts were kept per ticket
    holds one number for the week: one lump)."""
    return dict(value) if isinstance(value, dict) else {"": [int(value), now]}


RULES = (edit_after_commit, many_stations, override_frequency)
