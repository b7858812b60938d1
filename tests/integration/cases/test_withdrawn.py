"""Withdrawn detections on SQLite and on Postgres (application role, RLS on): a detection Chirp
supersedes after publishing it (a replay that reclassified its event) is published again, one
revision later, as withdrawn; the fox consumer keeps its membership, marked, and counts the case from
its live members; revived, it rejoins. Redeliveries and older revisions change nothing, the order
they arrive in does not matter, and ``canary rebuild fox`` gives the same cases."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from core.bus.port import ALERTS
from core.cases.domain.model import Alert, Severity
from core.cases.service.consumer import FoxConsumer, rebuild, snapshot
from core.cases.service.service import FoxService
from core.clock import FixedClock
from core.db.tables.cases import FoxAlert, FoxCase, FoxRuleDay
from core.db.tables.rules import DetectionRow
from core.db.tables.tenants import Merchant
from core.db.uow import Database
from core.domain.parsing import ParsedEvent
from core.rules.service import store
from core.rules.service.consumer import publish_pending
from core.rules.service.store import REPLAYED

CLOCK = FixedClock(datetime(2026, 6, 1, tzinfo=UTC))
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


class Bus:
    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []

    def publish(self, stream: str, fields: Mapping[str, str]) -> str:
        assert stream == ALERTS
        self.sent.append(dict(fields))
        return str(len(self.sent))


def _merchant(db: Database) -> str:
    merchant_id = f"m_{uuid.uuid4().hex[:12]}"
    with db.tenant(merchant_id) as session:
        session.add(Merchant(id=merchant_id, name="Greenleaf Garden Center"))
    return merchant_id


def _alert(n: int, severity: Severity = Severity.MEDIUM, **kw: object) -> Alert:
    return replace(
        Alert(
            detection_id=f"det_{n:04d}",
            rule_id="Q-VR-03",
            family="void_return",
            severity=severity,
            queue="fraud",
            occurred_at=T0 + timedelta(minutes=30 * n),
            summary=f"void cluster {n}",
            employee_id="emp_1",
            location_id="store_1",
            station_id="reg_1",
            drawer_session_id="sess_1",
            rule_bundle_key="Q-VR-03|emp_1",
        ),
        **kw,
    )


def _case(db: Database, merchant_id: str) -> FoxCase:
    with db.tenant(merchant_id) as s:
        [case] = [r[0] for r in s.execute(select(FoxCase).where(FoxCase.merchant_id == merchant_id))]
        return case


def _rule_day_alerts(db: Database, merchant_id: str) -> int:
    with db.tenant(merchant_id) as s:
        total = s.execute(select(func.sum(FoxRuleDay.alerts)).where(FoxRuleDay.merchant_id == merchant_id))
        return int(total.scalar_one() or 0)


def test_a_withdrawn_detection_leaves_its_case_counts_and_rejoins_when_revived(any_db: Database) -> None:
    merchant_id = _merchant(any_db)
    consumer = FoxConsumer(any_db, CLOCK)
    alerts = [_alert(0), _alert(1, Severity.HIGH), _alert(2)]
    consumer.process(merchant_id, alerts)
    case = _case(any_db, merchant_id)
    assert (case.detections, case.withdrawn, case.severity) == (3, 0, "high")

    withdrawn = replace(alerts[1], revision=1, withdrawn=REPLAYED)
    consumer.process(merchant_id, [withdrawn])
    case = _case(any_db, merchant_id)
    assert (case.detections, case.withdrawn, case.severity, case.state) == (2, 1, "medium", "open")
    with any_db.tenant(merchant_id) as s:
        kept = s.get(FoxAlert, (merchant_id, withdrawn.detection_id))
        assert kept is not None
        assert (kept.case_id, kept.revision, kept.withdrawn) == (case.id, 1, REPLAYED)
    assert _rule_day_alerts(any_db, merchant_id) == 2  # the outcome statistics count live alerts
    detail = FoxService(any_db, CLOCK).get_case(merchant_id, case.id)
    assert [(d.detection_id, d.withdrawn) for d in detail.detections] == [
        ("det_0000", ""),
        ("det_0001", REPLAYED),
        ("det_0002", ""),
    ]
    assert (detail.case.detections, detail.case.withdrawn) == (2, 1)

    before = snapshot(any_db, merchant_id)
    again = FoxConsumer(any_db, FixedClock(CLOCK.now() + timedelta(hours=1)))
    again.process(merchant_id, [withdrawn, alerts[1]])  # a redelivery, and the older live revision late
    assert snapshot(any_db, merchant_id) == before

    revived = replace(alerts[1], revision=2)
    consumer.process(merchant_id, [revived])
    case = _case(any_db, merchant_id)
    assert (case.detections, case.withdrawn, case.severity) == (3, 0, "high")
    assert _rule_day_alerts(any_db, merchant_id) == 3


def test_a_case_whose_every_member_is_withdrawn_stays_open_with_nothing_live(any_db: Database) -> None:
    merchant_id = _merchant(any_db)
    consumer = FoxConsumer(any_db, CLOCK)
    consumer.process(merchant_id, [_alert(0, Severity.HIGH)])
    opened = _case(any_db, merchant_id)
    consumer.process(merchant_id, [_alert(0, Severity.HIGH, revision=1, withdrawn=REPLAYED)])
    case = _case(any_db, merchant_id)
    assert (case.id, case.state, case.detections, case.withdrawn) == (opened.id, "open", 0, 1)
    assert (case.severity, case.escalations, case.first_at) == ("info", [], T0)
    consumer.process(merchant_id, [_alert(1)])  # a later alert of the bundle joins the same case
    case = _case(any_db, merchant_id)
    assert (case.id, case.detections, case.withdrawn, case.severity) == (opened.id, 1, 1, "medium")


def test_the_withdrawn_revision_arriving_first_gives_the_same_case(any_db: Database) -> None:
    in_order, reversed_ = _merchant(any_db), _merchant(any_db)
    live = [_alert(0), _alert(1, Severity.HIGH)]
    gone = replace(live[1], revision=1, withdrawn=REPLAYED)
    FoxConsumer(any_db, CLOCK).process(in_order, live)
    FoxConsumer(any_db, CLOCK).process(in_order, [gone])
    FoxConsumer(any_db, CLOCK).process(reversed_, [gone])
    FoxConsumer(any_db, CLOCK).process(reversed_, live)
    shape = [
        (c.detections, c.withdrawn, c.severity) for c in (_case(any_db, m) for m in (in_order, reversed_))
    ]
    assert shape == [(1, 1, "medium"), (1, 1, "medium")]


def _published(db: Database, merchant_id: str, alerts: list[Alert], *, pending: str = "") -> None:
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
                    entity_id=f"txn_{n}",
                    occurred_at=a.occurred_at,
                    employee_id=a.employee_id,
                    location_id=a.location_id,
                    station_id=a.station_id,
                    drawer_session_id=a.drawer_session_id,
                    bundle_key=a.rule_bundle_key,
                    summary=a.summary,
                    alert_state="pending" if a.detection_id == pending else "published",
                    published_at=None if a.detection_id == pending else CLOCK.now(),
                )
            )


def _reparsed(merchant_id: str, n: int) -> ParsedEvent:
    return ParsedEvent(
        merchant_id=merchant_id,
        evidence_seq=n + 1,
        source="square",
        source_type="webhook",
        kind="transaction",
        entity_id=f"txn_{n}",
        facts={},
    )


def test_chirp_republishes_a_superseded_alert_as_withdrawn_and_the_rebuild_agrees(any_db: Database) -> None:
    merchant_id = _merchant(any_db)
    alerts = [_alert(0), _alert(1, Severity.HIGH), _alert(2), _alert(3)]
    _published(any_db, merchant_id, alerts, pending="det_0003")  # det_0003 never left the outbox
    fox = FoxConsumer(any_db, CLOCK)
    fox.process(merchant_id, alerts[:3])
    bus = Bus()
    with any_db.tenant(merchant_id) as s:  # a replay reads txn_1 and txn_3 differently
        store.supersede(s, merchant_id, [_reparsed(merchant_id, 1), _reparsed(merchant_id, 3)], CLOCK.now())
    assert publish_pending(any_db, bus, merchant_id, CLOCK) == 1
    [sent] = bus.sent
    assert (sent["detection_id"], sent["revision"], sent["withdrawn"]) == ("det_0001", "1", REPLAYED)
    with any_db.tenant(merchant_id) as s:
        never = s.get(DetectionRow, (merchant_id, "det_0003"))
        assert never is not None
        assert (never.alert_state, never.suppressed) == ("none", True)
    fox.process_decoded(merchant_id, [fox.decode(f) for f in bus.sent])
    case = _case(any_db, merchant_id)
    assert (case.detections, case.withdrawn, case.severity) == (2, 1, "medium")

    live = snapshot(any_db, merchant_id)
    rebuild(any_db, merchant_id, FixedClock(CLOCK.now() + timedelta(days=1)))
    assert snapshot(any_db, merchant_id) == live

    with any_db.tenant(merchant_id) as s:  # the parse is put back: found again, one revision later
        s.execute(
            update(DetectionRow)
            .where(DetectionRow.merchant_id == merchant_id, DetectionRow.id == "det_0001")  # type: ignore[arg-type]
            .values(suppressed=False, suppression_reason=None, revision=2, alert_state="pending")
        )
    assert publish_pending(any_db, bus, merchant_id, CLOCK) == 1
    assert (bus.sent[-1]["revision"], bus.sent[-1]["withdrawn"]) == ("2", "")
    fox.process_decoded(merchant_id, [fox.decode(f) for f in bus.sent])  # with the redeliveries
    case = _case(any_db, merchant_id)
    assert (case.detections, case.withdrawn, case.severity) == (3, 0, "high")
    live = snapshot(any_db, merchant_id)
    rebuild(any_db, merchant_id, FixedClock(CLOCK.now() + timedelta(days=2)))
    assert snapshot(any_db, merchant_id) == live
