"""Chirp's replays of the Bubble rules, on SQLite and on Postgres (application role, RLS on):
``dry_run_rule`` and the readiness check replay the episodes Bubble's scorer finds in the stored
device-hours (Chirp's journal holds none) through the rule with the current or proposed parameters.
The hits are the detections a run then writes, per 7/14/30/90 days; the replay writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from core.bubble.service.observations import HOURS
from core.bubble.service.rebaselines import REBASELINES
from core.bubble.service.scoring import run, snapshot
from core.clock import FixedClock
from core.db.tables.rules import DetectionRow
from core.db.uow import Database
from core.rules.errors import ChirpError
from core.rules.service import ChirpService
from core.simulate.devices import device_world
from tests.support.bubble_world import T0, chain, seed

WINDOWS = (7, 14, 30, 90)
WHY = "Bubble signals reviewed with the owner"


def _detections(db: Database, merchant_id: str) -> list[DetectionRow]:
    with db.tenant(merchant_id) as s:
        return list(s.exec(select(DetectionRow).where(DetectionRow.merchant_id == merchant_id)).all())


def _written(db: Database, merchant_id: str) -> dict[str, Any]:
    """Everything a replay must leave as it was: Bubble's outputs, its analysts' decisions, Chirp's
    detections."""
    with db.tenant(merchant_id) as s:
        decisions = s.execute(select(REBASELINES).where(REBASELINES.c.merchant_id == merchant_id)).all()
    return {
        **snapshot(db, merchant_id),
        "rebaselines": [tuple(r) for r in decisions],
        "detections": [(d.id, d.revision) for d in _detections(db, merchant_id)],
    }


def test_a_dry_run_of_a_device_rule_reports_what_bubble_would_raise_current_vs_proposed(
    any_db: Database,
) -> None:
    """The simulator's labelled chain (4 stores × 5 registers × 6 weeks, anomalies in weeks 5–6),
    calibrated on weeks 1–4. Over 7/14/30/90 days the current parameters' hits are exactly the
    A-BUBBLE-DEVICE detections a run writes once the rule is in observation; a proposed
    ``min_peak_score`` of 2 keeps exactly those whose peak is 2 or more."""
    world = device_world(seed=0, stores=4, weeks=6)
    end = world.start + timedelta(days=world.days)
    clock = FixedClock(end)
    chirp = ChirpService(any_db, clock)
    merchant_id = seed(any_db, world.hours)
    run(any_db, merchant_id, world.calibration_end, clock=clock)  # dry_run mode: no detection
    before = _written(any_db, merchant_id)
    current, proposed = {}, {}
    for days in WINDOWS:
        start = end - timedelta(days=days)
        current[days] = chirp.dry_run_rule(merchant_id, "A-BUBBLE-DEVICE", start, end, sample=100)
        proposed[days] = chirp.dry_run_rule(
            merchant_id, "A-BUBBLE-DEVICE", start, end, {"min_peak_score": 2.0}, sample=100
        )
    assert _written(any_db, merchant_id) == before  # the replays wrote nothing

    chirp.promote_rule(merchant_id, "A-BUBBLE-DEVICE", "observation", actor="owner", reason=WHY, force=True)
    run(any_db, merchant_id, world.calibration_end, clock=clock)
    live = {d.id: d for d in _detections(any_db, merchant_id) if d.rule_id == "A-BUBBLE-DEVICE"}
    assert len(live) >= 5
    with any_db.tenant(merchant_id) as s:
        hours = [r.hour for r in s.execute(select(HOURS.c.hour).where(HOURS.c.merchant_id == merchant_id))]
    for days in WINDOWS:
        start = end - timedelta(days=days)
        in_window = {i for i, d in live.items() if d.occurred_at >= start}
        assert {h.detection_id for h in current[days].sample} == in_window
        assert current[days].hits == len(in_window)
        strong = {i for i in in_window if live[i].measurements["peak_score"] >= 2.0}
        assert {h.detection_id for h in proposed[days].sample} == strong
        assert proposed[days].params["min_peak_score"] == 2.0
        # the data the replay ran against: the stored device-hours, all and in the window
        assert current[days].events_replayed == len(hours)
        assert current[days].events_in_range == sum(1 for h in hours if h >= start)
        assert sum(current[days].hits_by_day.values()) == current[days].hits
    assert [current[d].hits for d in WINDOWS] == sorted(current[d].hits for d in WINDOWS)
    assert 0 < proposed[90].hits < current[90].hits
    assert current[7].hits < current[90].hits  # the anomalies of week 5 are outside the last 7 days

    readiness = chirp.check_readiness(merchant_id, "A-BUBBLE-DEVICE")
    assert (readiness.events, readiness.hits) == (current[14].events_in_range, current[14].hits)


def test_a_dry_run_of_the_store_rule_finds_the_store_drift_and_the_proposed_floor_drops_it(
    any_db: Database,
) -> None:
    """Four stores; on the last day every register of L1 voids three tickets an hour. The store rule's
    dry run finds that one episode (a run writes the same detection); a ``min_hours`` above its
    hours finds none. The device rule finds nothing: the drift is the store's."""
    clock = FixedClock(T0 + timedelta(days=14))
    chirp = ChirpService(any_db, clock)
    merchant_id = seed(any_db, chain())
    start, end = T0 + timedelta(days=7), T0 + timedelta(days=14)
    found = chirp.dry_run_rule(merchant_id, "A-BUBBLE-STORE", start, end)  # never scored: defaults
    assert found.hits == 1
    (hit,) = found.sample
    hours = hit.measurements["hours"]
    assert hit.measurements["top_dimension"] == "void_rate"
    none = chirp.dry_run_rule(merchant_id, "A-BUBBLE-STORE", start, end, {"min_hours": hours + 1})
    assert (none.hits, none.params["min_hours"]) == (0, hours + 1)
    assert chirp.dry_run_rule(merchant_id, "A-BUBBLE-DEVICE", start, end).hits == 0
    assert _detections(any_db, merchant_id) == []

    chirp.promote_rule(merchant_id, "A-BUBBLE-STORE", "observation", actor="owner", reason=WHY, force=True)
    run(any_db, merchant_id, clock=clock)
    (detection,) = _detections(any_db, merchant_id)
    assert (detection.id, detection.measurements["hours"]) == (hit.detection_id, hours)
    # the window ends before the drift's day: hours at or after the end are not read
    earlier = chirp.dry_run_rule(merchant_id, "A-BUBBLE-STORE", start, T0 + timedelta(days=13))
    assert earlier.hits == 0


def test_a_dry_run_of_a_bubble_rule_without_device_hours_finds_nothing(any_db: Database) -> None:
    merchant_id = seed(any_db, [])
    chirp = ChirpService(any_db, FixedClock(datetime(2026, 3, 20, tzinfo=UTC)))
    result = chirp.dry_run_rule(
        merchant_id, "A-BUBBLE-DEVICE", datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 20, tzinfo=UTC)
    )
    assert (result.hits, result.events_replayed, result.events_in_range) == (0, 0, 0)


def test_a_proposed_value_out_of_bounds_is_refused_before_bubble_scores(any_db: Database) -> None:
    merchant_id = seed(any_db, chain(stores=2))
    chirp = ChirpService(any_db, FixedClock(T0 + timedelta(days=14)))
    with pytest.raises(ChirpError, match="min_peak_score"):
        chirp.dry_run_rule(
            merchant_id, "A-BUBBLE-STORE", T0, T0 + timedelta(days=14), {"min_peak_score": 0.5}
        )
