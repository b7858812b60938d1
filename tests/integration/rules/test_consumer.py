"""The chirp consumer on SQLite and Postgres: modes, idempotence, restarts, allow-lists, history."""

from __future__ import annotations

import pytest
from sqlmodel import select

from core.bus.memory import InProcessBus
from core.clock import FixedClock
from core.db.tables.ledger import ProcessedMessage
from core.db.tables.rules import RuleEventJournalRow
from core.db.uow import Database
from core.domain.parsing import ParsedEvent
from core.rules.service import ChirpService
from core.rules.service.consumer import ChirpStage
from core.simulate.canonical import L, P, at, cp_ticket, square_txn

from .support import alerts, detections, for_merchant

pytestmark = pytest.mark.usefixtures("db")


def voids(merchant: str, n: int = 3, *, first: int = 0, day: float = 0) -> list[ParsedEvent]:
    return for_merchant(
        merchant,
        [
            square_txn(f"v{day}-{i}", at(10 * i, days=day), [L("SEED", 800)], type="VOID")
            for i in range(first, first + n)
        ],
    )


def set_mode(service: ChirpService, merchant: str, rule_id: str, mode: str) -> None:
    service.promote_rule(merchant, rule_id, mode, actor="ops@test", reason="test setup for modes", force=True)


def test_dry_run_writes_no_detection_and_publishes_nothing(
    stage: ChirpStage, bus: InProcessBus, db: Database, merchant: str
) -> None:
    summary = stage.process(merchant, voids(merchant))
    assert summary.dry_run == 1
    assert detections(db, merchant) == []
    assert alerts(bus) == []


def test_observation_writes_a_detection_and_publishes_nothing_to_alerts(
    stage: ChirpStage, service: ChirpService, bus: InProcessBus, db: Database, merchant: str
) -> None:
    set_mode(service, merchant, "Q-VR-03", "observation")
    stage.process(merchant, voids(merchant))
    [row] = detections(db, merchant)
    assert (row.rule_id, row.mode, row.alert_state) == ("Q-VR-03", "observation", "none")
    assert alerts(bus) == []


def test_alerting_writes_a_detection_and_publishes_it_to_alerts(
    stage: ChirpStage, service: ChirpService, bus: InProcessBus, db: Database, merchant: str
) -> None:
    set_mode(service, merchant, "Q-VR-03", "alerting")
    summary = stage.process(merchant, voids(merchant))
    [row] = detections(db, merchant)
    assert (row.mode, row.alert_state) == ("alerting", "published")
    [alert] = alerts(bus)
    assert (alert["detection_id"], alert["rule_id"], alert["merchant_id"]) == (row.id, "Q-VR-03", merchant)
    assert alert["bundle_key"] == row.bundle_key
    assert summary.published == 1


def test_a_redelivered_batch_changes_nothing(
    stage: ChirpStage, service: ChirpService, bus: InProcessBus, db: Database, merchant: str
) -> None:
    set_mode(service, merchant, "Q-VR-03", "alerting")
    events = voids(merchant)
    stage.process(merchant, events)
    again = stage.process(merchant, events)
    assert again.duplicates == 3
    assert len(detections(db, merchant)) == 1
    assert len(alerts(bus)) == 1
    with db.tenant(merchant) as s:
        keys = s.exec(
            select(ProcessedMessage).where(
                ProcessedMessage.merchant_id == merchant, ProcessedMessage.consumer == "chirp"
            )
        ).all()
        journal = s.exec(select(RuleEventJournalRow).where(RuleEventJournalRow.merchant_id == merchant)).all()
    assert (len(keys), len(journal)) == (3, 3)


def test_a_growing_cluster_updates_its_one_detection_and_republishes_it_under_the_same_id(
    stage: ChirpStage, service: ChirpService, bus: InProcessBus, db: Database, merchant: str
) -> None:
    set_mode(service, merchant, "Q-VR-03", "alerting")
    events = voids(merchant, 7)
    stage.process(merchant, events[:3])
    [first] = detections(db, merchant)
    stage.process(merchant, events[3:5])  # two more in one batch: one rewrite, the later revision
    stage.process(merchant, events[5:])
    stage.process(merchant, events[2:4])  # redelivered: changes nothing
    [row] = detections(db, merchant)
    assert row.id == first.id
    assert (row.measurements["voids"], row.revision, row.severity) == (7, 4, "high")
    assert len(row.snapshot["voids"]) == 7
    assert row.detected_at == first.detected_at
    assert row.alert_state == "published"
    published = [(a["detection_id"], a["revision"]) for a in alerts(bus)]
    assert published == [(row.id, "0"), (row.id, "2"), (row.id, "4")]


def test_a_late_void_completes_the_cluster_its_time_falls_into_on_the_live_consumer(
    stage: ChirpStage, service: ChirpService, db: Database, merchant: str
) -> None:
    set_mode(service, merchant, "Q-VR-03", "alerting")
    events = voids(merchant, 4)
    for event in (events[3], events[0], events[2], events[1]):  # the demo's arrival order
        stage.process(merchant, [event])
    [row] = detections(db, merchant)
    assert row.measurements["voids"] == 4
    assert row.occurred_at == at(0)


def test_a_restarted_consumer_continues_from_the_stored_windows(
    db: Database, bus: InProcessBus, clock: FixedClock, service: ChirpService, merchant: str
) -> None:
    set_mode(service, merchant, "Q-VR-03", "alerting")
    events = voids(merchant)
    ChirpStage(db, bus, clock).process(merchant, events[:2])
    assert detections(db, merchant) == []
    ChirpStage(db, bus, clock).process(merchant, events[2:])  # a new process: nothing cached
    [row] = detections(db, merchant)
    assert row.measurements["voids"] == 3


def test_a_stage_that_another_worker_advanced_reloads_the_changed_state(
    db: Database, bus: InProcessBus, clock: FixedClock, service: ChirpService, merchant: str
) -> None:
    set_mode(service, merchant, "Q-VR-03", "alerting")
    events = voids(merchant)
    first, second = ChirpStage(db, bus, clock), ChirpStage(db, bus, clock)
    first.process(merchant, events[:1])
    second.process(merchant, events[1:2])
    first.process(merchant, events[2:])  # first's cache is stale by one void: it must reload
    assert [r.measurements["voids"] for r in detections(db, merchant)] == [3]


def test_an_allow_list_entry_suppresses_with_its_reason_until_it_expires_then_stops_applying(
    stage: ChirpStage,
    service: ChirpService,
    bus: InProcessBus,
    db: Database,
    clock: FixedClock,
    merchant: str,
) -> None:
    set_mode(service, merchant, "Q-VR-03", "alerting")
    entry = service.add_allow_list_entry(
        merchant,
        "Q-VR-03",
        {"employee": "sq:employee:TM1"},
        reason="new hire in training this week",
        expires_at=at(days=1),
        actor="gm@store",
    )
    stage.process(merchant, voids(merchant, day=0))
    [suppressed] = detections(db, merchant)
    assert suppressed.suppressed
    assert suppressed.suppression_reason == "new hire in training this week"
    assert suppressed.allow_list_entry_id == entry.entry_id
    assert suppressed.alert_state == "none"
    assert alerts(bus) == []

    clock.advance(days=2)
    stage.process(merchant, voids(merchant, day=2))
    fired = [r for r in detections(db, merchant) if not r.suppressed]
    assert len(fired) == 1
    assert len(alerts(bus)) == 1
    expired = service.audit_log(merchant, rule_id="Q-VR-03").items
    assert [a.action for a in expired if a.target == entry.entry_id] == [
        "allow_list.expired",
        "allow_list.add",
    ]
    assert service.list_allow_list_entries(merchant, "Q-VR-03")[0].status == "expired"


def test_a_detection_written_before_a_threshold_change_still_shows_the_old_threshold(
    stage: ChirpStage, service: ChirpService, db: Database, merchant: str
) -> None:
    set_mode(service, merchant, "Q-VR-03", "observation")
    stage.process(merchant, voids(merchant, day=0))
    service.tune_rule_threshold(
        merchant,
        "Q-VR-03",
        "min_voids",
        2,
        actor="ops@test",
        reason="two voids in a session is already rare here",
    )
    stage.process(merchant, voids(merchant, n=2, day=1))
    rows = sorted(detections(db, merchant), key=lambda r: r.occurred_at)
    assert [r.params["min_voids"] for r in rows] == [3, 2]
    assert [r.config_version for r in rows] == [1, 2]
    before = service.get_detection_detail(merchant, rows[0].id)
    assert before.params["min_voids"] == 3
    assert before.rule_version == 1


def test_a_detection_carries_the_substrate_rows_it_read_not_only_their_ids(
    stage: ChirpStage, service: ChirpService, merchant: str
) -> None:
    set_mode(service, merchant, "Q-TM-03", "observation")
    event = square_txn(
        "f1", at(), [L("MOWER", 9_000)], [P("CARD", 3_000, "a"), P("CARD", 3_000, "b"), P("CARD", 3_000, "c")]
    )
    stage.process(merchant, for_merchant(merchant, [event]))
    [summary] = service.query_detections(merchant).items
    detail = service.get_detection_detail(merchant, summary.detection_id)
    assert detail.snapshot["transaction"]["amount_cents"] == 9_000
    assert [t["card_fingerprint"] for t in detail.snapshot["tenders"]] == ["a", "b", "c"]
    assert detail.params == {"min_tenders": 3, "min_total_cents": 5_000}
    assert "tenders on one ticket" in detail.rule_definition or "many pieces" in detail.rule_definition


def test_counterpoint_documents_flow_through_the_consumer_into_the_journal(
    stage: ChirpStage, service: ChirpService, db: Database, merchant: str
) -> None:
    set_mode(service, merchant, "Q-DM-03", "observation")
    stage.process(merchant, for_merchant(merchant, [cp_ticket("c1", at(), [L("MULCH", 500, cost=800)])]))
    [row] = detections(db, merchant)
    assert row.snapshot["line_items"][0]["unit_cost_cents"] == 800
    assert row.entity_id == "cp:doc:c1"


def test_alerts_left_pending_by_a_crash_are_published_by_the_next_batch(
    db: Database, clock: FixedClock, service: ChirpService, merchant: str
) -> None:
    class Down:
        def publish(self, stream: str, fields: object) -> str:
            raise ConnectionError("bus down")

    set_mode(service, merchant, "Q-VR-03", "alerting")
    with pytest.raises(ConnectionError):
        ChirpStage(db, Down(), clock).process(merchant, voids(merchant))
    assert [r.alert_state for r in detections(db, merchant)] == ["pending"]
    up = InProcessBus(prefix="recovered:")
    ChirpStage(db, up, clock).process(merchant, voids(merchant, n=1, day=3))
    assert [r.alert_state for r in detections(db, merchant)] == ["published"]
    assert len(alerts(up)) == 1
