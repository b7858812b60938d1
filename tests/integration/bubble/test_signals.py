"""Bubble's episodes as Chirp detections and on to Fox, on SQLite and on Postgres (application role, RLS
on): observations → scoring → A-BUBBLE-* detection → alert on canary:alerts → Fox case. One detection
per episode, rewritten (next revision, published again) when a rescore finds it changed, untouched
when it does not, superseded (and withdrawn from its Fox case) when the episode is gone; modes,
tuning and allow-lists apply."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import select

from core.bubble import DEFAULT_THRESHOLDS
from core.bubble.service.observations import HOURS
from core.bubble.service.rebaselines import REBASELINES
from core.bubble.service.scoring import EPISODES, REVISIONS, rescore_if_changed, run
from core.bubble.service.scoring import snapshot as snapshot_scores
from core.bubble.service.signals import SUPERSEDED
from core.bus.port import ALERTS
from core.cases.domain.model import Alert
from core.cases.service.consumer import FoxConsumer, rebuild, snapshot
from core.cases.service.service import FoxService
from core.clock import FixedClock
from core.db.tables.cases import FoxCase
from core.db.tables.rules import DetectionRow
from core.db.uow import Database
from core.rules.service import ChirpService
from tests.support.bubble_world import SPIKE, T0, chain, seed, world

CLOCK = FixedClock(datetime(2026, 3, 20, tzinfo=UTC))
WHY = "Bubble signals reviewed with the owner"


class Alerts:
    """A publisher that keeps what was published to canary:alerts."""

    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []

    def publish(self, stream: str, fields: Mapping[str, str]) -> str:
        assert stream == ALERTS
        self.sent.append(dict(fields))
        return str(len(self.sent))


def _alerting(db: Database, merchant_id: str, *rules: str) -> ChirpService:
    chirp = ChirpService(db, CLOCK)
    for rule in rules:
        chirp.promote_rule(merchant_id, rule, "alerting", actor="owner", reason=WHY, force=True)
    return chirp


def _detections(db: Database, merchant_id: str) -> list[DetectionRow]:
    with db.tenant(merchant_id) as s:
        rows = s.exec(
            select(DetectionRow)
            .where(DetectionRow.merchant_id == merchant_id)
            .order_by(DetectionRow.occurred_at)
        ).all()
        return list(rows)


def _cases(db: Database, merchant_id: str) -> list[FoxCase]:
    with db.tenant(merchant_id) as s:
        return list(s.exec(select(FoxCase).where(FoxCase.merchant_id == merchant_id)).all())


def _fox(db: Database, merchant_id: str, alerts: Alerts) -> None:
    FoxConsumer(db, CLOCK).process(merchant_id, [Alert.from_fields(f) for f in alerts.sent])


def _content(rows: list[DetectionRow]) -> list[tuple[Any, ...]]:
    return [(r.rule_id, r.entity_id, r.summary, r.measurements, r.severity, r.suppressed) for r in rows]


def test_a_void_spike_becomes_one_device_detection_one_alert_and_one_fox_case(any_db: Database) -> None:
    merchant_id = seed(any_db, world())
    _alerting(any_db, merchant_id, "A-BUBBLE-DEVICE", "A-BUBBLE-STORE")
    alerts = Alerts()
    summary = run(any_db, merchant_id, publisher=alerts, clock=CLOCK)
    (detection,) = _detections(any_db, merchant_id)
    assert (detection.rule_id, detection.family, detection.mode) == ("A-BUBBLE-DEVICE", "anomaly", "alerting")
    assert (detection.station_id, detection.location_id) == ("sq:device:D1", "sq:location:L1")
    assert detection.occurred_at == SPIKE
    assert detection.measurements["top_dimension"] == "void_rate"
    assert detection.snapshot["episode"]["dimensions"][0]["observed"] == 9.0
    assert "voids 9 observed vs" in detection.summary
    assert (summary.signals.written, summary.published) == (1, 1)
    assert [a["detection_id"] for a in alerts.sent] == [detection.id]
    _fox(any_db, merchant_id, alerts)
    (case,) = _cases(any_db, merchant_id)
    assert (case.basis, case.detections, case.queue) == ("device", 1, "fraud")
    assert "sq:device:D1" in case.bundle_key

    again = run(any_db, merchant_id, publisher=alerts, clock=CLOCK)  # the rerun is a no-op
    assert (again.signals.written, again.signals.unchanged, again.published) == (0, 1, 0)
    assert [d.revision for d in _detections(any_db, merchant_id)] == [0]


def test_an_episode_that_grows_is_the_same_detection_one_revision_later_and_the_same_case(
    any_db: Database,
) -> None:
    rows = [
        replace(r, voids=9) if (r.device_id == "sq:device:D1" and r.hour == SPIKE + timedelta(hours=1)) else r
        for r in world()
    ]
    merchant_id = seed(any_db, [r for r in rows if r.hour <= SPIKE])
    _alerting(any_db, merchant_id, "A-BUBBLE-DEVICE")
    alerts = Alerts()
    run(any_db, merchant_id, publisher=alerts, clock=CLOCK)
    (first,) = _detections(any_db, merchant_id)
    assert first.measurements["hours"] == 1
    seed(any_db, [r for r in rows if r.hour > SPIKE], merchant_id)  # the next hour arrives
    later = run(any_db, merchant_id, publisher=alerts, clock=CLOCK)
    (grown,) = _detections(any_db, merchant_id)
    assert (grown.id, grown.revision, grown.measurements["hours"]) == (first.id, 1, 2)
    assert later.published == 1
    assert [(a["detection_id"], a["revision"]) for a in alerts.sent] == [(first.id, "0"), (first.id, "1")]
    _fox(any_db, merchant_id, alerts)
    (case,) = _cases(any_db, merchant_id)
    assert case.detections == 1

    # Order-independence: the same hours stored at once give the same detection.
    at_once = seed(any_db, rows)
    _alerting(any_db, at_once, "A-BUBBLE-DEVICE")
    run(any_db, at_once, clock=CLOCK)
    assert _content(_detections(any_db, at_once)) == _content(_detections(any_db, merchant_id))


def test_a_whole_store_drift_is_one_store_detection_and_one_store_case(any_db: Database) -> None:
    merchant_id = seed(any_db, chain())
    _alerting(any_db, merchant_id, "A-BUBBLE-DEVICE", "A-BUBBLE-STORE")
    alerts = Alerts()
    run(any_db, merchant_id, publisher=alerts, clock=CLOCK)
    (detection,) = _detections(any_db, merchant_id)
    assert (detection.rule_id, detection.family, detection.queue) == (
        "A-BUBBLE-STORE",
        "store_anomaly",
        "review",
    )
    assert (detection.location_id, detection.station_id) == ("sq:location:L1", None)
    assert detection.measurements["top_dimension"] == "void_rate"
    _fox(any_db, merchant_id, alerts)
    (case,) = _cases(any_db, merchant_id)
    assert (case.basis, case.queue) == ("store", "review")


def test_modes_tuning_and_allow_lists_decide_what_is_written_and_published(any_db: Database) -> None:
    merchant_id = seed(any_db, world())
    run(any_db, merchant_id, clock=CLOCK)  # a new tenant: dry run, nothing written
    assert _detections(any_db, merchant_id) == []

    chirp = ChirpService(any_db, CLOCK)
    chirp.promote_rule(merchant_id, "A-BUBBLE-DEVICE", "observation", actor="owner", reason=WHY, force=True)
    alerts = Alerts()
    run(any_db, merchant_id, publisher=alerts, clock=CLOCK)
    (observed,) = _detections(any_db, merchant_id)
    assert (observed.mode, observed.alert_state, alerts.sent) == ("observation", "none", [])

    chirp.tune_rule_threshold(
        merchant_id, "A-BUBBLE-DEVICE", "min_peak_score", 100.0, actor="owner", reason=WHY
    )
    run(any_db, merchant_id, clock=CLOCK)  # a raised floor does not withdraw what was written
    assert [d.id for d in _detections(any_db, merchant_id)] == [observed.id]

    other = seed(any_db, world())
    _alerting(any_db, other, "A-BUBBLE-DEVICE")
    chirp.add_allow_list_entry(
        other,
        "A-BUBBLE-DEVICE",
        {"station": "sq:device:D1"},
        reason="returns desk register",
        expires_at=CLOCK.now() + timedelta(days=30),
        actor="owner",
    )
    run(any_db, other, publisher=alerts, clock=CLOCK)
    (allowed,) = _detections(any_db, other)
    assert (allowed.suppressed, allowed.alert_state, alerts.sent) == (True, "none", [])


def test_a_detection_whose_episode_is_gone_is_superseded_and_revived_when_it_returns(
    any_db: Database,
) -> None:
    rows = world()
    merchant_id = seed(any_db, rows)
    _alerting(any_db, merchant_id, "A-BUBBLE-DEVICE")
    alerts = Alerts()
    run(any_db, merchant_id, publisher=alerts, clock=CLOCK)
    (first,) = _detections(any_db, merchant_id)
    _fox(any_db, merchant_id, alerts)
    with any_db.tenant(merchant_id) as s:  # the spike hour is corrected: nine voids were two
        s.execute(_hours_update(merchant_id, 2))
    run(any_db, merchant_id, publisher=alerts, clock=CLOCK)
    (gone,) = _detections(any_db, merchant_id)
    assert (gone.id, gone.suppressed, gone.suppression_reason, gone.revision) == (
        first.id,
        True,
        SUPERSEDED,
        1,
    )
    audit = ChirpService(any_db, CLOCK).audit_log(merchant_id).items
    assert any(a.action == "detection_superseded" and a.target == first.id for a in audit)
    # Fox is told: published again one revision later as withdrawn; the case stays, with nothing live
    assert [(a["revision"], a["withdrawn"]) for a in alerts.sent] == [("0", ""), ("1", SUPERSEDED)]
    _fox(any_db, merchant_id, alerts)  # the first alert again, too: a redelivery changes nothing
    (case,) = _cases(any_db, merchant_id)
    assert (case.state, case.detections, case.withdrawn, case.severity) == ("open", 0, 1, "info")
    live = snapshot(any_db, merchant_id)
    rebuild(any_db, merchant_id, CLOCK)
    assert snapshot(any_db, merchant_id) == live
    with any_db.tenant(merchant_id) as s:
        s.execute(_hours_update(merchant_id, 9))
    run(any_db, merchant_id, publisher=alerts, clock=CLOCK)
    (back,) = _detections(any_db, merchant_id)
    assert (back.id, back.suppressed, back.revision) == (first.id, False, 2)
    assert [(a["revision"], a["withdrawn"]) for a in alerts.sent[2:]] == [("2", "")]
    _fox(any_db, merchant_id, alerts)
    (rejoined,) = _cases(any_db, merchant_id)
    assert (rejoined.id, rejoined.detections, rejoined.withdrawn) == (case.id, 1, 0)
    assert rejoined.severity == first.severity


def _hours_update(merchant_id: str, voids: int) -> Any:
    return (
        HOURS.update()
        .where(HOURS.c.merchant_id == merchant_id, HOURS.c.device_id == "sq:device:D1", HOURS.c.hour == SPIKE)
        .values(voids=voids)
    )


def test_a_device_case_dismissed_as_a_false_positive_rebaselines_the_device(any_db: Database) -> None:
    """From day 10 register D1 voids three tickets an hour (it became the returns desk). The first
    day's episode opens a case; the analyst dismisses it as a false positive; later days then raise
    nothing, where an undismissed twin's episode goes on day after day. Reopening withdraws the
    re-baseline."""
    start = T0 + timedelta(days=10)
    rows = [replace(r, voids=3) if r.device_id == "sq:device:D1" and r.hour >= start else r for r in world()]
    first_days = [r for r in rows if r.hour < start + timedelta(days=1)]
    merchant_id = seed(any_db, first_days)
    _alerting(any_db, merchant_id, "A-BUBBLE-DEVICE")
    alerts = Alerts()
    run(any_db, merchant_id, publisher=alerts, clock=CLOCK)
    (first,) = _detections(any_db, merchant_id)
    _fox(any_db, merchant_id, alerts)
    (case,) = _cases(any_db, merchant_id)
    fox = FoxService(any_db, CLOCK)
    fox.dismiss(
        merchant_id, case.id, outcome="false_positive", reason="D1 is the returns desk now", actor="ana"
    )
    seed(any_db, [r for r in rows if r.hour >= start + timedelta(days=1)], merchant_id)
    assert rescore_if_changed(any_db, merchant_id, clock=CLOCK) is not None
    assert [(d.id, d.suppressed) for d in _detections(any_db, merchant_id)] == [(first.id, False)]
    with any_db.tenant(merchant_id) as s:
        revisions = s.execute(
            select(REVISIONS.c.kind, REVISIONS.c.detail).where(REVISIONS.c.merchant_id == merchant_id)
        ).all()
    assert any(k == "rebaselined" and "by ana: D1 is the returns desk now" in why for k, why in revisions)
    assert rescore_if_changed(any_db, merchant_id, clock=CLOCK) is None  # nothing new: not rescored

    twin = seed(any_db, rows)
    _alerting(any_db, twin, "A-BUBBLE-DEVICE")
    run(any_db, twin, clock=CLOCK)
    (going_on,) = _detections(any_db, twin)
    assert going_on.measurements["hours"] > 3 * first.measurements["hours"]

    fox.reopen(merchant_id, case.id, reason="not so sure", actor="ana")
    assert rescore_if_changed(any_db, merchant_id, clock=CLOCK) is not None  # the outcome changed
    (live,) = [d for d in _detections(any_db, merchant_id) if not d.suppressed]
    assert (live.id, live.measurements["hours"]) == (first.id, going_on.measurements["hours"])


def test_a_store_case_dismissed_as_a_false_positive_rebaselines_the_store(any_db: Database) -> None:
    """From day 13 every register of store L1 voids three tickets an hour (a new returns policy):
    one store drift. The first day's store episode opens a store case; the analyst dismisses it as
    a false positive; the next two weeks of the same drift raise nothing, store or device, where an
    undismissed twin's store episode goes on for the whole fortnight. Each of the store's registers
    has a `rebaselined` revision naming the store and the analyst's words, recorded once; a rerun
    gives the same rows. Reopening the case withdraws the re-baseline."""
    start = T0 + timedelta(days=13)
    rows = [
        replace(r, voids=3) if r.store_id == "sq:location:L1" and r.hour >= start else r
        for r in chain(days=28)
    ]
    first_day = [r for r in rows if r.hour < start + timedelta(days=1)]
    merchant_id = seed(any_db, first_day)
    _alerting(any_db, merchant_id, "A-BUBBLE-DEVICE", "A-BUBBLE-STORE")
    alerts = Alerts()
    run(any_db, merchant_id, publisher=alerts, clock=CLOCK)
    (first,) = _detections(any_db, merchant_id)
    assert (first.rule_id, first.location_id) == ("A-BUBBLE-STORE", "sq:location:L1")
    _fox(any_db, merchant_id, alerts)
    (case,) = _cases(any_db, merchant_id)
    assert case.basis == "store"
    FoxService(any_db, CLOCK).dismiss(
        merchant_id, case.id, outcome="false_positive", reason="new returns policy at L1", actor="ana"
    )
    seed(any_db, [r for r in rows if r.hour >= start + timedelta(days=1)], merchant_id)
    assert rescore_if_changed(any_db, merchant_id, publisher=alerts, clock=CLOCK) is not None
    assert [(d.id, d.suppressed) for d in _detections(any_db, merchant_id)] == [(first.id, False)]
    with any_db.tenant(merchant_id) as s:
        episodes = s.execute(
            select(EPISODES.c.rule_id, EPISODES.c.store_id, EPISODES.c.hours).where(
                EPISODES.c.merchant_id == merchant_id
            )
        ).all()
        revisions = s.execute(
            select(REVISIONS.c.device_id, REVISIONS.c.at, REVISIONS.c.detail).where(
                REVISIONS.c.merchant_id == merchant_id, REVISIONS.c.kind == "rebaselined"
            )
        ).all()
        recorded = s.execute(
            select(REBASELINES.c.device_id, REBASELINES.c.case_id).where(
                REBASELINES.c.merchant_id == merchant_id
            )
        ).all()
    assert [tuple(e) for e in episodes] == [("A-BUBBLE-STORE", "sq:location:L1", first.measurements["hours"])]
    at = datetime.fromisoformat(first.measurements["end"])
    assert sorted((r.device_id, r.at) for r in revisions) == [(f"sq:device:S1D{d}", at) for d in (1, 2, 3)]
    assert all(
        "store sq:location:L1" in r.detail and "by ana: new returns policy at L1" in r.detail
        for r in revisions
    )
    assert [tuple(r) for r in recorded] == [("", case.id)]
    before = snapshot_scores(any_db, merchant_id)
    run(any_db, merchant_id, thresholds=DEFAULT_THRESHOLDS, clock=CLOCK)  # the rerun is the rebuild
    assert snapshot_scores(any_db, merchant_id) == before
    assert rescore_if_changed(any_db, merchant_id, clock=CLOCK) is None

    twin = seed(any_db, rows)
    _alerting(any_db, twin, "A-BUBBLE-DEVICE", "A-BUBBLE-STORE")
    run(any_db, twin, clock=CLOCK)
    (going_on,) = _detections(any_db, twin)
    assert going_on.rule_id == "A-BUBBLE-STORE"
    assert going_on.measurements["hours"] > 10 * first.measurements["hours"]

    FoxService(any_db, CLOCK).reopen(merchant_id, case.id, reason="not so sure", actor="ana")
    assert rescore_if_changed(any_db, merchant_id, clock=CLOCK) is not None  # the outcome changed
    (live,) = [d for d in _detections(any_db, merchant_id) if not d.suppressed]
    assert (live.id, live.measurements["hours"]) == (first.id, going_on.measurements["hours"])
