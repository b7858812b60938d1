"""The live consumer's detections do not depend on arrival order, and dry_run_rule agrees with them.

The Q-VR-03 scenario of tests/unit/rules/test_arrival_order.py is delivered to the chirp consumer in
random orders and batches, with redeliveries; the stored detections must be what event-time order
gives through the engine, and a dry run over the same journal must find the same detections.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from core.bus.memory import InProcessBus
from core.cases.domain.model import Alert
from core.cases.service.consumer import FoxConsumer, published_alerts
from core.clock import FixedClock
from core.db.tables.cases import FoxAlert, FoxCase
from core.db.tables.tenants import Merchant
from core.db.uow import Database
from core.rules.backtest import run_events
from core.rules.service import ChirpService
from core.rules.service.consumer import ChirpStage
from core.simulate.canonical import T0
from tests.unit.rules.test_arrival_order import ENGINE, VOIDS, in_event_time, only

from .support import alerts, detections, for_merchant


def stored(rows: list[Any]) -> set[tuple[Any, ...]]:
    return {
        (
            r.id,
            r.severity,
            r.occurred_at,
            r.measurements["voids"],
            r.measurements["total_cents"],
            tuple(sorted(v["transaction_id"] for v in r.snapshot["voids"])),
        )
        for r in rows
    }


def expected(events: list[Any]) -> set[tuple[Any, ...]]:
    return {
        (
            ev.detection_id,
            ev.severity.value,
            ev.finding.occurred_at,
            ev.finding.measurements["voids"],
            ev.finding.measurements["total_cents"],
            tuple(sorted(v["transaction_id"] for v in ev.finding.evidence["voids"])),
        )
        for ev in run_events(ENGINE, in_event_time(events), only("Q-VR-03"))
    }


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_any_arrival_order_and_batching_stores_the_event_time_detections_and_the_dry_run_agrees(
    db: Database, clock: FixedClock, data: st.DataObject
) -> None:
    merchant = f"m_{uuid.uuid4().hex[:12]}"  # a fresh tenant per example: fixtures are shared
    bus = InProcessBus(prefix=f"test-{uuid.uuid4().hex[:6]}:")
    try:
        stage, service = ChirpStage(db, bus, clock), ChirpService(db, clock)
        service.promote_rule(
            merchant, "Q-VR-03", "alerting", actor="ops@test", reason="arrival test", force=True
        )
        events = for_merchant(merchant, in_event_time(VOIDS))
        order = data.draw(st.permutations(events))
        order += data.draw(st.lists(st.sampled_from(events), max_size=6))  # redeliveries, late
        cuts = sorted(data.draw(st.sets(st.integers(1, len(order) - 1), max_size=5)))
        for a, b in zip([0, *cuts], [*cuts, len(order)], strict=True):
            stage.process(merchant, order[a:b])
        rows = detections(db, merchant)
        assert stored(rows) == expected(events)
        last = {}
        for alert in alerts(bus):
            last[alert["detection_id"]] = int(alert["revision"])
        assert last == {r.id: r.revision for r in rows}  # Fox has seen each detection's last revision
        dry = service.dry_run_rule(merchant, "Q-VR-03", T0 - timedelta(hours=1), T0 + timedelta(days=1))
        assert dry.hits == len(rows)
        assert {(h.detection_id, h.measurements["voids"]) for h in dry.sample} == {
            (r.id, r.measurements["voids"]) for r in rows
        }
    finally:
        bus.close()


def test_fox_keeps_one_case_for_a_growing_cluster_and_holds_its_last_revision(
    db: Database, clock: FixedClock, bus: InProcessBus, merchant: str
) -> None:
    stage, service = ChirpStage(db, bus, clock), ChirpService(db, clock)
    service.promote_rule(merchant, "Q-VR-03", "alerting", actor="ops@test", reason="arrival test", force=True)
    with db.tenant(merchant) as s:
        s.add(Merchant(id=merchant, name="Greenleaf Garden Center"))
    fox = FoxConsumer(db, clock)
    events = for_merchant(merchant, in_event_time(VOIDS))
    for event in reversed(events):  # latest first: every void arrives before the ones it follows
        stage.process(merchant, [event])
        fox.process(merchant, [Alert.from_fields(a) for a in alerts(bus)])  # redeliveries included
    rows = {r.id: r for r in detections(db, merchant)}
    with db.tenant(merchant) as s:
        held = s.exec(select(FoxAlert).where(FoxAlert.merchant_id == merchant)).all()
        cases = s.exec(select(FoxCase).where(FoxCase.merchant_id == merchant)).all()
    assert {(a.detection_id, a.revision, a.severity) for a in held} == {
        (r.id, r.revision, r.severity) for r in rows.values()
    }
    assert len(cases) == len(rows) == 2  # one case per episode
    with db.tenant(merchant) as s:
        assert {(a.detection_id, a.revision) for a in published_alerts(s, merchant)} == {
            (r.id, r.revision) for r in rows.values()
        }
