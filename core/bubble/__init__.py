"""A — Bubble: per-device anomaly detection over device-hours (docs/bubble.md).

The model is pure code over numpy/scipy: ``score(hours, thresholds)`` walks the hours in time order,
scores every device against its own hour-of-week baseline and its store peers, and returns one row
per device-hour, one per store-hour, and the episodes (one signal per device or store excursion).

    from core.bubble import DeviceHour, score, calibrate
    thresholds = calibrate(hours, until=datetime(2026, 3, 29, tzinfo=UTC))
    result = score(hours, thresholds)
"""

from core.bubble.calibration import DEFAULT_THRESHOLDS, CalibrationError, calibrate
from core.bubble.dimensions import DIMENSIONS, DeviceHour
from core.bubble.model import Config, Rebaseline, StoreRebaseline, Thresholds
from core.bubble.results import DeviceScore, Episode, Evidence, Result, StoreScore
from core.bubble.scorer import score

__all__ = [
    "DEFAULT_THRESHOLDS",
    "DIMENSIONS",
    "CalibrationError",
    "Config",
    "DeviceHour",
    "DeviceScore",
    "Episode",
    "Evidence",
    "Rebaseline",
    "Result",
    "StoreRebaseline",
    "StoreScore",
    "Thresholds",
    "calibrate",
    "score",
]
