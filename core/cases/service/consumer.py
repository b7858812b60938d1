"""The ``fox`` consumer of ``canary:alerts`` and ``canary rebuild fox``: alerts become cases.

Per alert (core/cases/domain): ``queues.route`` says which queue its case is in (fraud or review) or
that it opens none (informational rules); the tenant's bundling policy for the rule family
(``app.fox_policies``, else ``bundling.DEFAULT_POLICIES``) gives the bundle key; the alert joins the
open case with that key whose span it falls within, else it opens one. The case's severity is then
recomputed from all its members by ``escalation.escalate``, with every bump and its reason stored on
the case. ``app.fox_alerts`` holds one row per detection id: a redelivered or updated alert is an
upsert that keeps its case, never a second membership.

A detection Chirp superseded (a replay that reclassified its event, a Bubble rescore that no longer
finds its episode) arrives one revision later with ``withdrawn`` set: its row stays in its case,
marked with the reason, and the case's count and severity are recomputed from its live members only
(``fox_cases.withdrawn`` counts the others); found again, it arrives live one revision later still
and counts again. A withdrawn alert is bundled like any other, so the membership, and with it the
rebuild, does not depend on whether Fox saw the live revision first (docs/fox.md, "Withdrawn
detections").

Exactly-once through ``core.consumers.tracked``: the case writes and the message keys commit in one
transaction under ``FOX_LOCK``, a per-merchant advisory lock on Postgres, so two fox workers never
open two cases for one bundle. A batch is applied in the alerts' time order.

``rebuild`` recomputes the cases from the detections table (every detection Chirp published as an
alert) in time order, keeping when each alert was first received and what analysts decided (state,
assignee, outcome, closed_at) by case id: case ids are derived from the bundle key and the detection
that opened the case, so the same alerts give the same cases. docs/fox.md says when the result can
differ: alerts delivered far out of time order (across batches) can bundle differently.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Table, cast, literal, null, or_, select, union_all
from sqlmodel import Session

from core.bus.port import ALERTS
from core.cases.domain.bundling import BundleBy, BundlingPolicy, Span, bundle_key, policy_for, within
from core.cases.domain.escalation import DEFAULT_RULES, EscalationRule, Member, escalate, rules_from_config
from core.cases.domain.model import SEVERITY_BY_VALUE, Alert, CaseState, InvalidAlertError, Severity
from core.cases.domain.queues import route
from core.cases.service import notify as notifications
from core.cases.service.notify import TARGET_T
from core.clock import Clock
from core.consumers.tracked import Batch, Decoded, TrackedConsumer
from core.db.bulk import any_of, by_key, insert_rows, update_rows
from core.db.dialect import MerchantLock, insert_for, is_postgres
from core.db.tables.cases import FoxAlert, FoxCase, FoxEscalationRule, FoxPolicy, FoxRuleDay
from core.db.tables.rules import DetectionRow
from core.db.uow import Database

CONSUMER = "fox"
FOX_LOCK = MerchantLock("canary.fox")
ALERT_T: Table = FoxAlert.__table__  # type: ignore[attr-defined]
CASE_T: Table = FoxCase.__table__  # type: ignore[attr-defined]
POLICY_T: Table = FoxPolicy.__table__  # type: ignore[attr-defined]
ESCALATION_T: Table = FoxEscalationRule.__table__  # type: ignore[attr-defined]
RULE_DAY_T: Table = FoxRuleDay.__table__  # type: ignore[attr-defined]
DETECTION_T: Table = DetectionRow.__table__  # type: ignore[attr-defined]
RULE_DAY_CONFLICT = (
    "ON CONFLICT (merchant_id, day, rule_id, case_id) DO UPDATE SET alerts = t.alerts + excluded.alerts"
)
OPEN_STATES = (CaseState.OPEN.value, CaseState.IN_PROGRESS.value)
CLOSED_STATES = tuple(s.value for s in CaseState if s.closed)
ALERT_COLUMNS = (
    "revision",
    "rule_id",
    "family",
    "severity",
    "queue",
    "occurred_at",
    "summary",
    "employee_id",
    "customer_id",
    "location_id",
    "station_id",
    "drawer_session_id",
    "rule_bundle_key",
    "withdrawn",
)
_SUBJECT = {
    BundleBy.EMPLOYEE_SESSION: "employee {employee_id}, drawer session {drawer_session_id}",
    BundleBy.EMPLOYEE_DAY: "employee {employee_id} on {day}",
    BundleBy.EMPLOYEE: "employee {employee_id}",
    BundleBy.DEVICE: "device {station_id}",
    BundleBy.CUSTOMER: "customer {customer_id}",
    BundleBy.STORE: "store {location_id}",
    BundleBy.RULE_KEY: "{rule_bundle_key}",
    BundleBy.NONE: "detection {detection_id}",
}


@dataclass(frozen=True)
class FoxSummary:
    messages: int = 0
    duplicates: int = 0
    alerts: int = 0
    opened: int = 0  # cases opened by this batch
    joined: int = 0  # alerts that joined an existing case
    informational: int = 0  # alerts that open no case


class FoxConsumer(TrackedConsumer[Alert, FoxSummary]):
    """A ``Stage`` for the worker runner: name ``fox`` on ``alerts``, group ``fox``."""

    name = "fox"
    stream = ALERTS
    group = "fox"
    consumer = CONSUMER
    grows = ("fox_alerts", "fox_cases", "processed_messages")

    def __init__(self, db: Database, clock: Clock) -> None:
        super().__init__(db, clock, FOX_LOCK)

    def decode(self, fields: Mapping[str, str]) -> Decoded[Alert]:
        merchant_id = fields.get("merchant_id", "")
        if not merchant_id:
            raise InvalidAlertError("alert without merchant_id")
        alert = Alert.from_fields(fields)
        return Decoded(merchant_id, alert.message_key[:200], _order(alert), alert)

    def apply_batch(self, session: Session, batch: Batch[Alert]) -> FoxSummary:
        counts = apply_alerts(session, batch.merchant_id, batch.fresh, self._clock.now())
        return FoxSummary(batch.received, batch.duplicates, **counts)

    def process(self, merchant_id: str, alerts: Sequence[Alert]) -> FoxSummary:
        """Apply already-parsed alerts exactly as a batch would be (tests, the demo)."""
        return self.process_decoded(
            merchant_id, [Decoded(merchant_id, a.message_key, _order(a), a) for a in alerts]
        )


def _order(alert: Alert) -> int:
    return int(alert.occurred_at.timestamp() * 1_000_000)


def case_id_for(merchant_id: str, key: str, first_detection_id: str) -> str:
    digest = hashlib.sha256(f"{merchant_id}\x1f{key}\x1f{first_detection_id}".encode()).hexdigest()
    return f"case_{digest[:24]}"


@dataclass(frozen=True)
class TenantSettings:
    """What a batch reads of the tenant's Fox settings, in one round trip (``tenant_settings``)."""

    policies: dict[str, BundlingPolicy]  # by family (``app.fox_policies``)
    escalation: Sequence[EscalationRule]  # ``app.fox_escalation_rules``, else the defaults
    notify: bool  # whether any notification target is enabled


def tenant_settings(session: Session, merchant_id: str) -> TenantSettings:
    """The bundling policies, escalation rules and whether a notification target is enabled, read as
    one ``UNION ALL`` (three small tables; the batch pays one round trip for them, not three)."""
    none = null()
    rows = session.execute(
        union_all(
            select(
                literal("policy").label("kind"),
                POLICY_T.c.family.label("name"),
                POLICY_T.c.by.label("by"),
                POLICY_T.c.window_hours.label("hours"),
                cast(none, JSON).label("config"),
            ).where(POLICY_T.c.merchant_id == merchant_id),
            select(literal("escalation"), ESCALATION_T.c.name, none, none, ESCALATION_T.c.config).where(
                ESCALATION_T.c.merchant_id == merchant_id
            ),
            select(literal("target"), TARGET_T.c.id, none, none, none).where(
                TARGET_T.c.merchant_id == merchant_id, TARGET_T.c.enabled.is_(True)
            ),
        )
    ).all()
    policies = {r.name: BundlingPolicy(BundleBy(r.by), r.hours) for r in rows if r.kind == "policy"}
    configs = sorted((r.name, r.config) for r in rows if r.kind == "escalation")
    rules = rules_from_config([c for _, c in configs]) if configs else DEFAULT_RULES
    return TenantSettings(policies, rules, any(r.kind == "target" for r in rows))


def apply_alerts(
    session: Session,
    merchant_id: str,
    alerts: Iterable[Alert],
    now: datetime,
    restore: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, int]:
    """Bundle these alerts into cases (in time order) and re-escalate every case they touched.

    The spans of the candidate cases are tracked in memory through the batch, so an alert joins a
    case that an earlier alert of the same batch widened, exactly as if they had come one by one.
    ``restore`` (the rebuild) gives the analysts' state of cases by id, put back when a case opens.

    Set-based: three reads (the stored alerts by detection id, the open cases by bundle key, the
    members of the stored cases the batch touches), then each table written once (``bulk``): a case
    the batch opens is inserted with its span, count and escalation already computed from its
    members in memory, so only the stored cases it touched are updated."""
    settings = tenant_settings(session, merchant_id)
    policies = settings.policies
    counts = {"alerts": 0, "opened": 0, "joined": 0, "informational": 0}
    touched: set[str] = set()
    ordered = sorted(alerts, key=lambda a: (a.occurred_at, a.detection_id))
    existing = _existing(session, merchant_id, [a.detection_id for a in ordered])
    fresh: dict[str, dict[str, Any]] = {}  # detection id → the row to insert
    updated: dict[str, dict[str, Any]] = {}  # detection id → the stored alert's new values
    replaying = now if restore is not None else None
    keyed: dict[str, tuple[BundlingPolicy, Any]] = {}  # detection id → (policy, bundle key)
    seen: set[str] = set(existing)  # the first revision of an alert in a batch decides its case
    days: Counter[tuple[date, str, str]] = Counter()  # fox_rule_days deltas
    for alert in ordered:
        if alert.detection_id in seen:
            continue
        seen.add(alert.detection_id)
        queue = route(alert)
        if queue is not None:
            policy = policy_for(alert.family, policies)
            keyed[alert.detection_id] = (policy, bundle_key(alert, queue, policy))
    spans = _open_cases(session, merchant_id, sorted({k.key for _, k in keyed.values()}), replaying)
    new_cases: dict[str, dict[str, Any]] = {}
    for alert in ordered:
        counts["alerts"] += 1
        known = existing.get(alert.detection_id)
        if known is not None:  # an updated alert: new facts, same membership
            if alert.revision >= known[1]:
                values = _alert_values(alert)
                updated[alert.detection_id] = values
                if not known[4]:  # fox_rule_days counts live alerts only
                    days[rule_day(known[2], known[3], known[0])] -= 1
                if not values["withdrawn"]:
                    days[rule_day(values["rule_id"], values["occurred_at"], known[0])] += 1
                existing[alert.detection_id] = (
                    known[0],
                    alert.revision,
                    values["rule_id"],
                    values["occurred_at"],
                    values["withdrawn"],
                )
            if known[0]:
                touched.add(known[0])
            continue
        if alert.detection_id in fresh:  # a second revision in the same batch
            row = fresh[alert.detection_id]
            if alert.revision >= row["revision"]:
                row.update(_alert_values(alert))
            continue
        case_id: str | None = None
        if alert.detection_id not in keyed:
            counts["informational"] += 1
        else:
            policy, key = keyed[alert.detection_id]
            case_id = _join(spans[key.key], alert.occurred_at, policy)
            if case_id is None:
                case_id = case_id_for(merchant_id, key.key, alert.detection_id)
                values = _new_case(merchant_id, case_id, alert, key, policy, now)
                values.update((restore or {}).get(case_id, {}))
                new_cases[case_id] = values
                spans[key.key].append([case_id, alert.occurred_at, alert.occurred_at])
                counts["opened"] += 1
            else:
                counts["joined"] += 1
            touched.add(case_id)
        fresh[alert.detection_id] = {
            "merchant_id": merchant_id,
            "detection_id": alert.detection_id,
            "case_id": case_id,
            "received_at": now,
            **_alert_values(alert),
        }
    # Every member of every touched case: the stored ones as they are after this batch's updates,
    # then the batch's new alerts.
    members = _members(session, merchant_id, sorted(touched.difference(new_cases)))
    for detection_id, values in updated.items():
        case_members = members.get(existing[detection_id][0] or "")
        if case_members is not None and detection_id in case_members:
            case_members[detection_id] = {**case_members[detection_id], **values}
    for row in fresh.values():
        if row["case_id"] is not None:
            members.setdefault(row["case_id"], {})[row["detection_id"]] = row
    rules = settings.escalation
    refreshed: list[dict[str, Any]] = []
    for case_id in sorted(touched):
        values = _refreshed(list(members.get(case_id, {}).values()), rules)
        if values is None:
            continue
        if case_id in new_cases:
            new_cases[case_id].update(values)
        else:
            refreshed.append({"merchant_id": merchant_id, "id": case_id, **values})
    _insert_many(session, CASE_T, list(new_cases.values()))
    _insert_many(session, ALERT_T, list(fresh.values()))
    for columns in _by_columns(
        [{"merchant_id": merchant_id, "detection_id": d, **v} for d, v in sorted(updated.items())]
    ):
        update_rows(session, ALERT_T, ("merchant_id", "detection_id"), columns)
    update_rows(session, CASE_T, ("merchant_id", "id"), refreshed)
    for row in fresh.values():
        if not row["withdrawn"]:
            days[rule_day(row["rule_id"], row["occurred_at"], row["case_id"])] += 1
    opened = {c for c, row in new_cases.items() if row["state"] in OPEN_STATES}
    count_rule_days(session, merchant_id, days, opened)
    if restore is None and settings.notify:
        notify_cases(session, merchant_id, sorted(touched), now)
    return counts


def _by_columns(rows: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The rows grouped by their set of columns (a restored case has more), in order."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(row), []).append(row)
    return list(groups.values())


def _insert_many(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """One statement of arrays per set of columns (``core/db/bulk.py``)."""
    for group in _by_columns(rows):
        insert_rows(session, table, group)


EXISTING = ("detection_id", "case_id", "revision", "rule_id", "occurred_at", "withdrawn")
MEMBER_COLUMNS = (
    "case_id",
    "detection_id",
    "rule_id",
    "severity",
    "occurred_at",
    "drawer_session_id",
    "employee_id",
    "received_at",
    "withdrawn",
)


def _members(
    session: Session, merchant_id: str, case_ids: Sequence[str]
) -> dict[str, dict[str, dict[str, Any]]]:
    """By case id and detection id, the stored members of these cases (``MEMBER_COLUMNS``)."""
    found: dict[str, dict[str, dict[str, Any]]] = {case_id: {} for case_id in case_ids}
    for i in range(0, len(case_ids), 500):
        for m in session.execute(
            select(*(ALERT_T.c[c] for c in MEMBER_COLUMNS)).where(
                ALERT_T.c.merchant_id == merchant_id,
                any_of(session, ALERT_T.c.case_id, list(case_ids[i : i + 500])),
            )
        ):
            found[m.case_id][m.detection_id] = dict(m._mapping)
    return found


def _refreshed(
    members: Sequence[Mapping[str, Any]], rules: Sequence[EscalationRule]
) -> dict[str, Any] | None:
    """What a case's members make of it: span, counts, severity, escalations and ``opened_at`` (None
    for a case with none).

    Count, severity and escalations are the live members'; the span and ``opened_at`` are every
    member's, withdrawn ones included, so what a later alert joins does not change when one is
    withdrawn. A case with no live member keeps its state, with 0 detections and severity info."""
    if not members:
        return None
    live = [m for m in members if not m["withdrawn"]]
    result = escalate(
        [
            Member(
                m["detection_id"],
                m["rule_id"],
                SEVERITY_BY_VALUE[m["severity"]],
                m["occurred_at"],
                m["drawer_session_id"],
                m["employee_id"],
            )
            for m in live
        ],
        rules,
    )
    return {
        "first_at": min(m["occurred_at"] for m in members),
        "last_at": max(m["occurred_at"] for m in members),
        "detections": len(live),
        "withdrawn": len(members) - len(live),
        "base_severity": result.base.value,
        "severity": result.severity.value,
        "severity_rank": result.severity.rank,
        "escalations": [
            {"rule": b.rule, "from": b.before.value, "to": b.after.value, "reason": b.reason}
            for b in result.bumps
        ],
        "opened_at": min(m["received_at"] for m in members),
    }


def _existing(session: Session, merchant_id: str, ids: Sequence[str]) -> dict[str, tuple[Any, ...]]:
    """By detection id, the stored alert's (case id, revision, rule id, occurred at, withdrawn): one
    index probe per id on Postgres (``bulk.by_key``)."""
    found: dict[str, tuple[Any, ...]] = {}
    unique = sorted(set(ids))
    for i in range(0, len(unique), 500):
        for row in by_key(
            session, ALERT_T, {"merchant_id": merchant_id}, "detection_id", unique[i : i + 500], EXISTING
        ):
            found[row.detection_id] = (row.case_id, row.revision, row.rule_id, row.occurred_at, row.withdrawn)
    return found


def rule_day(rule_id: str, occurred_at: datetime, case_id: str | None) -> tuple[date, str, str]:
    """An alert's ``fox_rule_days`` key: its UTC day, rule and case ("" for none)."""
    return occurred_at.astimezone(UTC).date(), rule_id, case_id or ""


def count_rule_days(
    session: Session,
    merchant_id: str,
    delta: Mapping[tuple[date, str, str], int],
    open_cases: Collection[str] = (),
) -> None:
    """Add ``delta`` to the merchant's ``fox_rule_days`` (in the caller's transaction); rows that fall
    to zero are dropped, so a (rule, case) pair is present exactly while it holds a live alert.
    ``open_cases`` are cases the caller knows to be open (opened by its batch): their outcome is not
    looked up."""
    rows = [
        {"merchant_id": merchant_id, "day": d, "rule_id": r, "case_id": c, "alerts": n}
        for (d, r, c), n in sorted(delta.items())
        if n
    ]
    if not rows:
        return
    if is_postgres(session):  # one statement of arrays (core/db/bulk.py); the keys are distinct
        insert_rows(session, RULE_DAY_T, rows, conflict=RULE_DAY_CONFLICT)
    else:
        stmt = insert_for(session)(RULE_DAY_T)
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["merchant_id", "day", "rule_id", "case_id"],
                set_={"alerts": RULE_DAY_T.c.alerts + stmt.excluded.alerts},
            ),
            rows,
        )
    if any(r["alerts"] < 0 for r in rows):
        session.execute(
            RULE_DAY_T.delete().where(RULE_DAY_T.c.merchant_id == merchant_id, RULE_DAY_T.c.alerts <= 0)
        )
    # A row is written with no outcome; one of a closed case (an alert joining it late, a rebuild
    # putting the analysts' state back) takes the case's, as its resolve or dismiss set it.
    grown = sorted({c for (_d, _r, c), n in delta.items() if n > 0 and c and c not in open_cases})
    for i in range(0, len(grown), 500):
        for case_id, outcome in session.execute(
            select(CASE_T.c.id, CASE_T.c.outcome).where(
                CASE_T.c.merchant_id == merchant_id,
                any_of(session, CASE_T.c.id, grown[i : i + 500]),
                CASE_T.c.state.in_(CLOSED_STATES),
                CASE_T.c.outcome.is_not(None),
            )
        ).all():
            session.execute(
                RULE_DAY_T.update()
                .where(RULE_DAY_T.c.merchant_id == merchant_id, RULE_DAY_T.c.case_id == case_id)
                .values(outcome=outcome)
            )


def _open_cases(
    session: Session, merchant_id: str, keys: Sequence[str], replaying: datetime | None
) -> dict[str, list[list[Any]]]:
    """By bundle key, the cases an alert with that key may join, as [id, first_at, last_at],
    earliest first (an empty list for a key with none), read in one query per 500 keys.

    ``replaying`` (the rebuild) is when the alert was first received: a case closed since then (or
    at that instant) still counts as open for it, as it was when the live consumer saw it."""
    found: dict[str, list[list[Any]]] = {key: [] for key in keys}
    is_open = CASE_T.c.state.in_(OPEN_STATES)
    if replaying is not None:
        is_open = or_(is_open, CASE_T.c.closed_at >= replaying)
    for i in range(0, len(keys), 500):
        rows = session.execute(
            select(CASE_T.c.bundle_key, CASE_T.c.id, CASE_T.c.first_at, CASE_T.c.last_at)
            .where(
                CASE_T.c.merchant_id == merchant_id, CASE_T.c.bundle_key.in_(list(keys[i : i + 500])), is_open
            )
            .order_by(CASE_T.c.first_at, CASE_T.c.id)
        )
        for r in rows:
            found[r.bundle_key].append([r.id, r.first_at, r.last_at])
    return found


def _join(candidates: list[list[Any]], at: datetime, policy: BundlingPolicy) -> str | None:
    """The earliest candidate whose span ``at`` falls within; its span grows to include ``at``."""
    for candidate in sorted(candidates, key=lambda c: (c[1], c[0])):
        if within(Span(candidate[1], candidate[2]), at, policy.window):
            candidate[1], candidate[2] = min(candidate[1], at), max(candidate[2], at)
            return str(candidate[0])
    return None


def _alert_values(alert: Alert) -> dict[str, Any]:
    return {
        "revision": alert.revision,
        "rule_id": alert.rule_id[:16],
        "family": alert.family[:32],
        "severity": alert.severity.value,
        "queue": alert.queue[:16],
        "occurred_at": alert.occurred_at,
        "summary": alert.summary[:500],
        "employee_id": alert.employee_id[:160],
        "customer_id": alert.customer_id[:160],
        "location_id": alert.location_id[:160],
        "station_id": alert.station_id[:160],
        "drawer_session_id": alert.drawer_session_id[:200],
        "rule_bundle_key": alert.rule_bundle_key[:300],
        "withdrawn": alert.withdrawn[:120],
    }


def _new_case(
    merchant_id: str, case_id: str, alert: Alert, key: Any, policy: BundlingPolicy, now: datetime
) -> dict[str, Any]:
    subject = _SUBJECT[key.basis].format(
        detection_id=alert.detection_id,
        employee_id=alert.employee_id,
        drawer_session_id=alert.drawer_session_id,
        day=alert.occurred_at.date().isoformat(),
        station_id=alert.station_id,
        customer_id=alert.customer_id,
        location_id=alert.location_id,
        rule_bundle_key=alert.rule_bundle_key,
    )
    family = alert.family or alert.rule_id
    return {
        "merchant_id": merchant_id,
        "id": case_id,
        "queue": key.key.split("|", 1)[0],
        "bundle_key": key.key,
        "basis": key.basis.value,
        "family": family[:32],
        "title": f"{family.replace('_', ' ')}: {subject}"[:300],
        "window_hours": policy.window_hours,
        "employee_id": alert.employee_id[:160],
        "customer_id": alert.customer_id[:160],
        "location_id": alert.location_id[:160],
        "station_id": alert.station_id[:160],
        "drawer_session_id": alert.drawer_session_id[:200] if key.basis is BundleBy.EMPLOYEE_SESSION else "",
        "first_at": alert.occurred_at,
        "last_at": alert.occurred_at,
        "detections": 0,
        "withdrawn": 0,
        "base_severity": alert.severity.value,
        "severity": alert.severity.value,
        "severity_rank": alert.severity.rank,
        "escalations": [],
        "state": CaseState.OPEN.value,
        "opened_at": now,
    }


def notify_cases(session: Session, merchant_id: str, case_ids: Sequence[str], now: datetime) -> None:
    """Queue the notifications these cases now reach, for those still open."""
    for i in range(0, len(case_ids), 500):
        for case in session.execute(
            select(CASE_T)
            .where(
                CASE_T.c.merchant_id == merchant_id,
                CASE_T.c.id.in_(list(case_ids[i : i + 500])),
                CASE_T.c.state.in_(OPEN_STATES),
            )
            .order_by(CASE_T.c.id)
        ):
            notifications.enqueue(session, merchant_id, case._mapping, now)


# Rebuild ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RebuildSummary:
    merchant_id: str
    alerts: int
    cases: int
    informational: int


HUMAN_COLUMNS = ("state", "assignee", "outcome", "closed_at")


def published_alerts(session: Session, merchant_id: str) -> list[Alert]:
    """Every detection Chirp published (or will publish) on ``canary:alerts``, as Fox received it:
    a superseded one withdrawn, exactly as the publisher encodes it (``_alert_fields``)."""
    rows = session.execute(
        select(DETECTION_T).where(
            DETECTION_T.c.merchant_id == merchant_id, DETECTION_T.c.alert_state != "none"
        )
    ).all()
    return [
        Alert(
            detection_id=r.id,
            rule_id=r.rule_id,
            family=r.family,
            severity=Severity(r.severity),
            queue=r.queue,
            occurred_at=r.occurred_at,
            summary=r.summary,
            rule_bundle_key=r.bundle_key or "",
            employee_id=r.employee_id or "",
            customer_id=r.customer_id or "",
            location_id=r.location_id or "",
            station_id=r.station_id or "",
            drawer_session_id=r.drawer_session_id or "",
            revision=r.revision,
            withdrawn=((r.suppression_reason or "superseded")[:120] if r.suppressed else ""),
        )
        for r in rows
    ]


def rebuild(db: Database, merchant_id: str, clock: Clock) -> RebuildSummary:
    """``canary rebuild fox``: recompute the merchant's cases from the detections table."""
    with FOX_LOCK.tenant(db, merchant_id) as session:
        return rebuild_in(session, merchant_id, clock.now())


def rebuild_in(session: Session, merchant_id: str, now: datetime) -> RebuildSummary:
    received = dict(
        session.execute(
            select(ALERT_T.c.detection_id, ALERT_T.c.received_at).where(ALERT_T.c.merchant_id == merchant_id)
        ).all()
    )
    human = {
        r.id: {c: getattr(r, c) for c in HUMAN_COLUMNS}
        for r in session.execute(
            select(CASE_T.c.id, *(CASE_T.c[c] for c in HUMAN_COLUMNS)).where(
                CASE_T.c.merchant_id == merchant_id
            )
        )
    }
    for table in (ALERT_T, CASE_T, RULE_DAY_T):
        session.execute(table.delete().where(table.c.merchant_id == merchant_id))
    alerts = sorted(published_alerts(session, merchant_id), key=lambda a: (a.occurred_at, a.detection_id))
    counts = {"alerts": 0, "opened": 0, "joined": 0, "informational": 0}
    for alert in alerts:  # one at a time: each keeps the time it was first received
        done = apply_alerts(session, merchant_id, [alert], received.get(alert.detection_id, now), human)
        for k, v in done.items():
            counts[k] += v
    return RebuildSummary(merchant_id, counts["alerts"], counts["opened"], counts["informational"])


def snapshot(db: Database, merchant_id: str) -> dict[str, list[tuple[Any, ...]]]:
    """The rows a rebuild must reproduce, in a stable order."""
    with db.tenant(merchant_id) as session:
        alerts = session.execute(
            select(*(c for c in ALERT_T.c if c.name != "merchant_id"))
            .where(ALERT_T.c.merchant_id == merchant_id)
            .order_by(ALERT_T.c.detection_id)
        ).all()
        cases = session.execute(
            select(*(c for c in CASE_T.c if c.name != "merchant_id"))
            .where(CASE_T.c.merchant_id == merchant_id)
            .order_by(CASE_T.c.id)
        ).all()
    return {"alerts": [tuple(r) for r in alerts], "cases": [tuple(r) for r in cases]}
