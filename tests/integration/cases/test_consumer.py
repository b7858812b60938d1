"""The ``fox`` consumer of canary:alerts on SQLite and on Postgres (as the application role, RLS on):
bundling per family default and tenant policy, window edges, queues, escalation with its reasons,
redelivery and updated alerts, the rebuild from the detections table, and two workers at once."""

from __future__ import annotations

import threading
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from core.cases.domain.model import Alert, InvalidAlertError, Severity
from core.cases.service.consumer import FoxConsumer, rebuild, snapshot
from core.clock import FixedClock
from core.db.dialect import MerchantLock
from core.db.tables.cases import FoxAlert, FoxCase, FoxPolicy
from core.db.tables.ledger import ProcessedMessage
from core.db.tables.rules import DetectionRow
from core.db.tables.tenants import Merchant
from core.db.uow import Database

CLOCK = FixedClock(datetime(2026, 6, 1, tzinfo=UTC))
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def _merchant(db: Database) -> str:
    merchant_id = f"m_{uuid.uuid4().hex[:12]}"
    with db.tenant(merchant_id) as session:
        session.add(Merchant(id=merchant_id, name="Greenleaf Garden Center"))
    return merchant_id


def _alert(
    n: int, rule: str = "Q-VR-03", family: str = "void_return", *, hours: float = 0, **kw: Any
) -> Alert:
    fields: dict[str, Any] = {
        "detection_id": f"det_{n:04d}",
        "rule_id": rule,
        "family": family,
        "severity": Severity.MEDIUM,
        "queue": "fraud",
        "occurred_at": T0 + timedelta(hours=hours),
        "summary": f"{rule} finding {n}",
        "employee_id": "emp_1",
        "location_id": "store_1",
        "station_id": "reg_1",
        "drawer_session_id": "sess_1",
        "rule_bundle_key": f"{rule}|emp_1",
    }
    fields.update(kw)
    return Alert(**fields)


def _cases(db: Database, merchant_id: str) -> list[FoxCase]:
    with db.tenant(merchant_id) as s:
        rows = s.execute(select(FoxCase).where(FoxCase.merchant_id == merchant_id).order_by(FoxCase.first_at))
        return [r[0] for r in rows]


def _members(db: Database, merchant_id: str) -> dict[str, str | None]:
    with db.tenant(merchant_id) as s:
        rows = s.execute(
            select(FoxAlert.detection_id, FoxAlert.case_id).where(FoxAlert.merchant_id == merchant_id)
        )
        return dict(rows.all())


def _shape(db: Database, merchant_id: str) -> list[tuple[str, str, int, str]]:
    return [(c.queue, c.basis, c.detections, c.severity) for c in _cases(db, merchant_id)]


VOIDS = [_alert(i, hours=i * 0.5) for i in range(5)]
# name, alerts, expected cases as (queue, basis, detections, severity) in first_at order
SCENARIOS: list[tuple[str, list[Alert], list[tuple[str, str, int, str]]]] = [
    ("a void cluster in one drawer session is one case", VOIDS, [("fraud", "employee_session", 5, "medium")]),
    (
        "a chain 20 hours apart in one batch joins the span the batch widened",
        [_alert(1), _alert(2, hours=20), _alert(3, hours=40)],
        [("fraud", "employee_session", 3, "medium")],
    ),
    (
        "void clusters in two sessions are two cases",
        [_alert(1), _alert(2, hours=1, drawer_session_id="sess_2")],
        [("fraud", "employee_session", 1, "medium"), ("fraud", "employee_session", 1, "medium")],
    ),
    (
        "no drawer session: falls back to employee + day",
        [_alert(1, drawer_session_id=""), _alert(2, hours=2, drawer_session_id="")],
        [("fraud", "employee_day", 2, "medium")],
    ),
    (
        "drawer shrink by one employee over three sessions in 14 days is one high case",
        [
            _alert(
                i, "Q-DS-01", "drawer_session", hours=i * 96, severity=Severity.LOW, drawer_session_id=f"s{i}"
            )
            for i in range(3)
        ],
        [("fraud", "employee", 3, "high")],
    ),
    (
        "three low in seven days escalate to medium",
        [_alert(i, "Q-DM-01", "discount_markdown", hours=i, severity=Severity.LOW) for i in range(3)],
        [("fraud", "employee_day", 3, "medium")],
    ),
    (
        "two low stay low",
        [_alert(i, "Q-DM-01", "discount_markdown", hours=i, severity=Severity.LOW) for i in range(2)],
        [("fraud", "employee_day", 2, "low")],
    ),
    (
        "Q-IS-02 cash-paid receivers go to the review queue",
        [_alert(1, "Q-IS-02", "inventory_shrink", severity=Severity.LOW)],
        [("review", "store", 1, "low")],
    ),
    (
        "Q-IS-02 mislabelled as fraud still goes to review",
        [_alert(1, "Q-IS-02", "inventory_shrink", queue="fraud")],
        [("review", "store", 1, "medium")],
    ),
    (
        "informational rules open no case",
        [
            _alert(1, "Q-IS-04", "inventory_shrink"),
            _alert(2, "Q-AT-03", "audit_trail"),
            _alert(3, queue="trend"),
        ],
        [],
    ),
    (
        "drawer shrink window edge: exactly 14 days after the last joins",
        [
            _alert(1, "Q-DS-01", "drawer_session", drawer_session_id="s1"),
            _alert(2, "Q-DS-01", "drawer_session", hours=14 * 24, drawer_session_id="s2"),
        ],
        [("fraud", "employee", 2, "medium")],
    ),
    (
        "drawer shrink window edge: a second later opens a new case",
        [
            _alert(1, "Q-DS-01", "drawer_session", drawer_session_id="s1"),
            _alert(2, "Q-DS-01", "drawer_session", hours=14 * 24 + 1 / 3600, drawer_session_id="s2"),
        ],
        [("fraud", "employee", 1, "medium"), ("fraud", "employee", 1, "medium")],
    ),
]


@pytest.mark.parametrize(("name", "alerts", "expected"), SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_alerts_become_the_expected_cases(
    any_db: Database, name: str, alerts: list[Alert], expected: list[tuple[str, str, int, str]]
) -> None:
    merchant_id = _merchant(any_db)
    FoxConsumer(any_db, CLOCK).process(merchant_id, alerts)
    assert _shape(any_db, merchant_id) == expected
    members = _members(any_db, merchant_id)
    assert set(members) == {a.detection_id for a in alerts}  # every alert recorded once, case or not


def test_every_escalation_is_recorded_with_its_reason(any_db: Database) -> None:
    merchant_id = _merchant(any_db)
    lows = [replace(a, severity=Severity.LOW) for a in VOIDS[:3]]
    consumer = FoxConsumer(any_db, CLOCK)
    consumer.process(merchant_id, lows[:2])
    [case] = _cases(any_db, merchant_id)
    assert (case.base_severity, case.severity, case.escalations) == ("low", "low", [])
    consumer.process(merchant_id, lows[2:])
    [case] = _cases(any_db, merchant_id)
    assert (case.base_severity, case.severity) == ("low", "medium")
    assert case.escalations == [
        {
            "rule": "repeated low",
            "from": "low",
            "to": "medium",
            "reason": "repeated low: 3 low-or-higher detections within 7 days (threshold 3) → medium",
        }
    ]


def test_arrival_in_batches_and_out_of_order_within_a_batch_gives_the_same_cases(any_db: Database) -> None:
    alerts = [_alert(i, hours=i * 0.5, drawer_session_id=f"sess_{i // 3}") for i in range(9)]
    one, many = _merchant(any_db), _merchant(any_db)
    FoxConsumer(any_db, CLOCK).process(one, alerts)
    consumer = FoxConsumer(any_db, CLOCK)
    for part in (alerts[5:], alerts[:2], alerts[2:5]):  # batch order shuffled, time order within
        consumer.process(many, list(reversed(part)))
    assert _shape(any_db, one) == _shape(any_db, many) == [("fraud", "employee_session", 3, "medium")] * 3
    sessions = [(c.drawer_session_id, c.detections) for c in _cases(any_db, many)]
    assert sessions == [("sess_0", 3), ("sess_1", 3), ("sess_2", 3)]


def test_a_redelivered_batch_changes_nothing(any_db: Database) -> None:
    merchant_id = _merchant(any_db)
    consumer = FoxConsumer(any_db, CLOCK)
    first = consumer.process(merchant_id, VOIDS)
    before = snapshot(any_db, merchant_id)
    again = FoxConsumer(any_db, FixedClock(CLOCK.now() + timedelta(hours=1))).process(merchant_id, VOIDS)
    assert (first.alerts, first.opened, again.alerts, again.duplicates) == (5, 1, 0, 5)
    assert snapshot(any_db, merchant_id) == before
    with any_db.tenant(merchant_id) as s:
        keys = s.execute(
            select(ProcessedMessage.message_key).where(
                ProcessedMessage.merchant_id == merchant_id, ProcessedMessage.consumer == "fox"
            )
        ).all()
    assert len(keys) == 5


def test_an_updated_alert_is_an_upsert_never_a_second_membership(any_db: Database) -> None:
    merchant_id = _merchant(any_db)
    consumer = FoxConsumer(any_db, CLOCK)
    consumer.process(merchant_id, VOIDS[:2])
    updated = replace(VOIDS[0], severity=Severity.CRITICAL, revision=1, summary="grew")
    consumer.process(merchant_id, [updated])
    [case] = _cases(any_db, merchant_id)
    assert (case.detections, case.severity) == (2, "critical")
    members = _members(any_db, merchant_id)
    assert len(members) == 2
    assert set(members.values()) == {case.id}
    consumer.process(merchant_id, [VOIDS[0]])  # the older revision arriving late changes nothing
    with any_db.tenant(merchant_id) as s:
        severity = s.get(FoxAlert, (merchant_id, VOIDS[0].detection_id)).severity  # type: ignore[union-attr]
    assert severity == "critical"


def test_a_closed_case_is_not_joined_a_new_one_opens(any_db: Database) -> None:
    merchant_id = _merchant(any_db)
    consumer = FoxConsumer(any_db, CLOCK)
    consumer.process(merchant_id, VOIDS[:2])
    _close_all(any_db, merchant_id)
    consumer.process(merchant_id, VOIDS[2:3])
    assert [(c.state, c.detections) for c in _cases(any_db, merchant_id)] == [("resolved", 2), ("open", 1)]


def test_a_tenant_policy_overrides_the_family_default(any_db: Database) -> None:
    merchant_id = _merchant(any_db)
    with any_db.tenant(merchant_id) as s:
        s.add(
            FoxPolicy(
                merchant_id=merchant_id, family="void_return", by="store", window_hours=48, updated_by="op"
            )
        )
    alerts = [_alert(1), _alert(2, hours=30, employee_id="emp_2", drawer_session_id="sess_9")]
    FoxConsumer(any_db, CLOCK).process(merchant_id, alerts)
    assert _shape(any_db, merchant_id) == [("fraud", "store", 2, "medium")]


def test_a_malformed_alert_is_refused_with_its_reason(any_db: Database) -> None:
    consumer = FoxConsumer(any_db, CLOCK)
    good = {"merchant_id": "m", "detection_id": "d", "rule_id": "Q-VR-03", "severity": "low"}
    with pytest.raises(InvalidAlertError, match="occurred_at"):
        consumer.decode(good)
    with pytest.raises(InvalidAlertError, match="merchant_id"):
        consumer.decode({**good, "merchant_id": "", "occurred_at": T0.isoformat()})
    decoded = consumer.decode({**good, "occurred_at": T0.isoformat(), "family": "void_return"})
    assert (decoded.merchant_id, decoded.key, decoded.item.severity) == ("m", "d:0", Severity.LOW)


# Rebuild ------------------------------------------------------------------------------------------


def _detections(db: Database, merchant_id: str, alerts: list[Alert]) -> None:
    with db.tenant(merchant_id) as s:
        for n, a in enumerate(alerts):
            s.add(
                DetectionRow(
                    merchant_id=merchant_id,
                    id=a.detection_id,
                    rule_id=a.rule_id,
                    rule_version=1,
                    catalog_version="1",
                    family=a.family,
                    severity=a.severity.value,
                    queue=a.queue,
                    mode="alerting",
                    evidence_seq=n + 1,
                    event_kind="transaction",
                    occurred_at=a.occurred_at,
                    employee_id=a.employee_id or None,
                    customer_id=a.customer_id or None,
                    location_id=a.location_id or None,
                    station_id=a.station_id or None,
                    drawer_session_id=a.drawer_session_id or None,
                    bundle_key=a.rule_bundle_key or None,
                    summary=a.summary,
                    alert_state="published",
                )
            )
        # an observation-mode detection was never an alert: the rebuild leaves it out
        s.add(
            DetectionRow(
                merchant_id=merchant_id,
                id="det_observed",
                rule_id="Q-VR-03",
                rule_version=1,
                catalog_version="1",
                family="void_return",
                severity="high",
                queue="fraud",
                mode="observation",
                evidence_seq=999,
                event_kind="transaction",
                occurred_at=T0,
                summary="observed",
            )
        )


def _close_all(db: Database, merchant_id: str) -> None:
    with db.tenant(merchant_id) as s:
        s.execute(
            FoxCase.__table__.update()  # type: ignore[attr-defined]
            .where(FoxCase.__table__.c.merchant_id == merchant_id)  # type: ignore[attr-defined]
            .values(state="resolved", outcome="confirmed_fraud", closed_at=CLOCK.now())
        )


def test_rebuild_from_the_detections_gives_identical_cases(any_db: Database) -> None:
    merchant_id = _merchant(any_db)
    world = [alerts for _name, alerts, _e in SCENARIOS]
    alerts = [
        replace(a, detection_id=f"{a.detection_id}_{i}", employee_id=f"{a.employee_id}_{i}")
        for i, group in enumerate(world)
        for a in group
    ]
    _detections(any_db, merchant_id, alerts)
    consumer = FoxConsumer(any_db, CLOCK)
    consumer.process(merchant_id, alerts[:10])
    _close_all(any_db, merchant_id)  # analysts closed what they had, then more alerts came
    later = FoxConsumer(any_db, FixedClock(CLOCK.now() + timedelta(hours=2)))
    later.process(merchant_id, alerts[10:])
    later.process(merchant_id, alerts[3:12])  # redeliveries
    grown = replace(alerts[0], severity=Severity.HIGH, revision=2, summary="the cluster grew")
    with any_db.tenant(merchant_id) as s:  # Chirp rewrites the detection in place and republishes it
        row = s.get(DetectionRow, (merchant_id, grown.detection_id))
        assert row is not None
        row.severity, row.revision, row.summary = "high", 2, grown.summary
    later.process(merchant_id, [grown])
    live = snapshot(any_db, merchant_id)
    summary = rebuild(any_db, merchant_id, FixedClock(CLOCK.now() + timedelta(days=3)))
    assert summary.alerts == len(alerts)
    rebuilt = snapshot(any_db, merchant_id)
    for kind in ("alerts", "cases"):
        assert [r for r in rebuilt[kind] if r not in live[kind]] == [], kind
        assert [r for r in live[kind] if r not in rebuilt[kind]] == [], kind
    assert rebuilt == live
    assert len(live["cases"]) == summary.cases > 10


# Two workers ----------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_two_workers_at_once_never_open_two_cases_for_one_bundle(pg_app: Database) -> None:
    merchant_id = _merchant(pg_app)
    alerts = [_alert(i, hours=i * 0.01) for i in range(40)]
    workers = []
    for _ in range(2):
        worker = FoxConsumer(pg_app, CLOCK)
        worker._lock = MerchantLock("canary.fox")  # another process's lock: only the advisory lock is shared
        workers.append(worker)
    errors: list[BaseException] = []

    def run(worker: FoxConsumer, part: list[Alert]) -> None:
        try:
            for i in range(0, len(part), 4):
                worker.process(merchant_id, part[i : i + 4])
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=(workers[0], alerts[0::2])),
        threading.Thread(target=run, args=(workers[1], alerts[1::2])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _shape(pg_app, merchant_id) == [("fraud", "employee_session", 40, "medium")]


def test_a_tenants_escalation_rule_bumps_its_cases_with_the_reason(any_db: Database) -> None:
    from core.cases.domain.escalation import EscalationRule
    from core.cases.service.service import CaseNotFoundError, FoxService

    merchant_id, other = _merchant(any_db), _merchant(any_db)
    service = FoxService(any_db, CLOCK)
    rule = EscalationRule("two voids a day", 2, 1, Severity.HIGH, Severity.LOW, ("Q-VR-03",))
    service.set_escalation_rule(merchant_id, rule, actor="operator:tok")
    source, rules = service.escalation_rules(merchant_id)
    assert (source, [r.name for r in rules]) == (
        "tenant",
        ["recurring drawer shrink", "repeated low", "two voids a day"],  # the defaults kept beside it
    )
    lows = [replace(a, severity=Severity.LOW) for a in VOIDS[:2]]
    FoxConsumer(any_db, CLOCK).process(merchant_id, lows)
    FoxConsumer(any_db, CLOCK).process(other, lows)
    [case] = _cases(any_db, merchant_id)
    assert (case.severity, [b["rule"] for b in case.escalations]) == ("high", ["two voids a day"])
    assert "2 low-or-higher detections of Q-VR-03 within 1 days" in case.escalations[0]["reason"]
    assert [c.severity for c in _cases(any_db, other)] == ["low"]  # another tenant runs the defaults
    service.remove_escalation_rule(merchant_id, "two voids a day")
    with pytest.raises(CaseNotFoundError, match="no escalation rule 'nope'"):
        service.remove_escalation_rule(merchant_id, "nope")
