"""The labelled device-hour worlds Bubble is measured on."""

from __future__ import annotations

from core.simulate.devices import device_world
from core.simulate.devices.labels import ANOMALY_TYPES, COLD_START, PROMOTION


def test_same_seed_same_world_and_every_scenario_is_labelled() -> None:
    a, b = device_world(seed=5, stores=4, weeks=6), device_world(seed=5, stores=4, weeks=6)
    assert a.hours == b.hours
    types = {label.scenario_type for label in a.labels}
    assert types == {*ANOMALY_TYPES, PROMOTION, COLD_START}
    promo = next(label for label in a.labels if label.scenario_type == PROMOTION)
    assert promo.polarity == "hard_negative"
    assert not promo.hours
    for label in a.labels:
        if label.polarity == "positive":
            assert label.hours, label.scenario_type  # observable: hours with a sale in the window
            assert all(label.start <= hour < label.end for _, hour in label.hours)


def test_anomalies_fall_after_the_clean_window_and_cold_starts_have_no_earlier_history() -> None:
    world = device_world(seed=2, stores=4, weeks=6)
    for label in world.labels:
        assert label.start >= world.calibration_end
    for label in (lab for lab in world.labels if lab.scenario_type == COLD_START):
        first = min(h.hour for h in world.hours if h.device_id == label.device_id)
        assert first >= world.calibration_end
