"""The live consumer's detections do not depend on arrival order, and dry_run_rule agrees with them.

The Q-VR-03 scenario of tests/unit/rules/test_arrival_order.py is delivered to the chirp consumer in
random orders and batches, with redeliveries; the stored detections must be what event-time order
gives through the engine, and a dry run over the same journal must find the same detections.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
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
from tests.unit.rules.test_arrival_order import (
    CARD_USES,
    ENGINE,
    OVERRIDES,
    SEASONAL,
    TIERS,
    VOIDS,
    in_event_time,
    only,
)

from .support import alerts, detections, for_merchant

# rule -> (scenario, the measurements compared, the evidence listing the members)
SCENARIOS: dict[str, tuple[list[Any], tuple[str, ...], str]] = {
    "Q-VR-03": (VOIDS, ("voids", "total_cents"), "voids"),
    "Q-AT-03": (OVERRIDES, ("week", "overrides", "tickets"), "tickets"),
    "C-005": (CARD_USES, ("uses", "customers", "locations", "peak_customers", "peak_locations"), "uses"),
    "Q-CT-02": (TIERS, ("amount_cents", "hours_before", "from_tier", "to_tier"), "tier_changes"),
}


def members(evidence: Any) -> tuple[str, ...]:
    if isinstance(evidence, dict):
        return tuple(sorted(evidence))
    return tuple(sorted(str(m.get("transaction_id", m)) for m in evidence))


def stored(rule_id: str, rows: list[Any]) -> set[tuple[Any, ...]]:
    _events, measured, listing = SCENARIOS[rule_id]
    return {
        (
            r.id,
            r.severity,
            r.occurred_at,
            tuple(r.measurements[k] for k in measured),
            members(r.snapshot[listing]),
        )
        for r in rows
    }


def expected(rule_id: str, events: list[Any]) -> set[tuple[Any, ...]]:
    _events, measured, listing = SCENARIOS[rule_id]
    return {
        (
            ev.detection_id,
            ev.severity.value,
            ev.finding.occurred_at,
            tuple(ev.finding.measurements[k] for k in measured),
            members(ev.finding.evidence[listing]),
        )
        for ev in run_events(ENGINE, in_event_time(events), only(rule_id))
    }


@pytest.mark.parametrize("rule_id", sorted(SCENARIOS))
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_arrival_order_and_batching_stores_the_event_time_detections_and_the_dry_run_agrees(
    db: Database, clock: FixedClock, rule_id: str, data: st.DataObject
) -> None:
    merchant = f"m_{uuid.uuid4().hex[:12]}"  # a fresh tenant per example: fixtures are shared
    bus = InProcessBus(prefix=f"test-{uuid.uuid4().hex[:6]}:")
    try:
        stage, service = ChirpStage(db, bus, clock), ChirpService(db, clock)
        service.promote_rule(
            merchant, rule_id, "alerting", actor="ops@test", reason="arrival test", force=True
        )
        events = for_merchant(merchant, in_event_time(SCENARIOS[rule_id][0]))
        order = data.draw(st.permutations(events))
        order += data.draw(st.lists(st.sampled_from(events), max_size=6))  # redeliveries, late
        cuts = sorted(data.draw(st.sets(st.integers(1, len(order) - 1), max_size=5)))
        for a, b in zip([0, *cuts], [*cuts, len(order)], strict=True):
            stage.process(merchant, order[a:b])
        rows = detections(db, merchant)
        assert rows
        assert stored(rule_id, rows) == expected(rule_id, events)
        last = {}
        for alert in alerts(bus):
            last[alert["detection_id"]] = int(alert["revision"])
        assert last == {r.id: r.revision for r in rows}  # Fox has seen each detection's last revision
        dry = service.dry_run_rule(merchant, rule_id, T0 - timedelta(days=1), T0 + timedelta(days=40))
        assert dry.hits == len(rows)
        first = SCENARIOS[rule_id][1][0]
        assert {(h.detection_id, h.measurements[first]) for h in dry.sample} == {
            (r.id, r.measurements[first]) for r in rows
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


def test_a_week_a_late_baseline_shows_is_no_spike_is_withdrawn_and_published_as_withdrawn(
    db: Database, clock: FixedClock, bus: InProcessBus, merchant: str
) -> None:
    stage, service = ChirpStage(db, bus, clock), ChirpService(db, clock)
    service.promote_rule(merchant, "Q-IS-04", "alerting", actor="ops@test", reason="arrival test", force=True)
    service.tune_rule_threshold(
        merchant, "Q-IS-04", "baseline", "seasonal", actor="ops@test", reason="garden center"
    )
    # YARD's spring week, its sale and its trailing weeks first: a spike on what has arrived.
    stage.process(merchant, for_merchant(merchant, [*SEASONAL[-2:], *SEASONAL[-10:-2]]))
    [live] = detections(db, merchant)
    assert (live.suppressed, live.entity_id) == (False, "YARD|cp:category:FERNS|2026-W19")
    assert [a["withdrawn"] for a in alerts(bus)][-1] == ""
    # Last year's weeks arrive: the same week last year was as high, so it is no spike. (Fox keeps
    # a withdrawn alert's membership marked, tests/integration/cases/test_withdrawn.py; Q-IS-04 is
    # informational and opens no case.)
    stage.process(merchant, for_merchant(merchant, SEASONAL[58:-10]))
    [gone] = detections(db, merchant)
    assert (gone.id, gone.suppressed) == (live.id, True)
    assert gone.revision > live.revision  # judged again as the weeks arrived, then withdrawn
    assert gone.suppression_reason is not None
    assert gone.suppression_reason.startswith("withdrawn: ")
    [withdrawn] = alerts(bus)
    assert (withdrawn["detection_id"], withdrawn["revision"]) == (live.id, str(gone.revision))
    assert withdrawn["withdrawn"] == gone.suppression_reason[:120]
    dry = service.dry_run_rule(
        merchant, "Q-IS-04", T0 - timedelta(days=400), T0 + timedelta(days=2), {"baseline": "seasonal"}
    )
    assert dry.hits == 0
    # Redelivered in full, in event time: nothing changes and nothing is published.
    stage.process(merchant, for_merchant(merchant, in_event_time(SEASONAL[58:])))
    assert [(r.id, r.revision, r.suppressed) for r in detections(db, merchant)] == [
        (live.id, gone.revision, True)
    ]
    assert alerts(bus) == []


def test_a_detection_found_and_withdrawn_in_one_batch_is_never_published(
    db: Database, clock: FixedClock, bus: InProcessBus, merchant: str
) -> None:
    stage, service = ChirpStage(db, bus, clock), ChirpService(db, clock)
    service.promote_rule(merchant, "Q-IS-04", "alerting", actor="ops@test", reason="arrival test", force=True)
    service.tune_rule_threshold(
        merchant, "Q-IS-04", "baseline", "seasonal", actor="ops@test", reason="garden center"
    )
    stage.process(merchant, for_merchant(merchant, [*SEASONAL[-2:], *SEASONAL[-10:-2], *SEASONAL[58:-10]]))
    [row] = detections(db, merchant)
    assert (row.suppressed, row.alert_state) == (True, "none")
    assert alerts(bus) == []
