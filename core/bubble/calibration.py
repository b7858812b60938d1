"""Thresholds from a clean window, not from chi-square tables.

D² of discrete, zero-inflated scores is not χ²: a normalisation detail moves its tail by 50× either
way. So each channel's threshold is an empirical quantile of its own statistic over a window the
analyst vouches for (``--calibrate-until``): device-hours with input for the hourly channel, the
hours with a sale for the drift channel, store-hours for the store channels. The window is scored
with the default thresholds (they steer the poisoning guard while it runs), then everything is
scored again with the calibrated ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import numpy as np

from core.bubble.dimensions import DeviceHour
from core.bubble.model import Config, Thresholds
from core.bubble.scorer import score

# Calibrated on the simulator's clean weeks (docs/bubble.md, `canary bench bubble`), rounded.
DEFAULT_THRESHOLDS = Thresholds(device_hourly=40.0, device_cusum=12.0, store_hourly=25.0, store_cusum=12.0)
QUANTILE = 0.999
MIN_DEVICE_HOURS = 500
FLOORS = Thresholds(device_hourly=9.0, device_cusum=4.0, store_hourly=4.0, store_cusum=4.0)


class CalibrationError(ValueError):
    """The calibration window cannot set thresholds (too short, or nothing scored in it)."""


def calibrate(
    hours: Iterable[DeviceHour], until: datetime, config: Config | None = None, quantile: float = QUANTILE
) -> Thresholds:
    window = [h for h in hours if h.hour < until]
    result = score(window, DEFAULT_THRESHOLDS, config)
    scored = [r for r in result.devices if r.score is not None]
    if len(scored) < MIN_DEVICE_HOURS:
        raise CalibrationError(
            f"the calibration window before {until.isoformat()} has {len(scored)} scored device-hours; "
            f"it needs at least {MIN_DEVICE_HOURS} (devices need {(config or Config()).min_own_hours} "
            "active hours of their own before they are scored)"
        )
    hourly = np.array([r.hourly for r in scored])
    drift = np.array([r.drift for r in scored if r.drift > 0] or [0.0])
    store_hourly = np.array([r.hourly for r in result.stores] or [0.0])
    store_drift = np.array([r.drift for r in result.stores if r.drift > 0] or [0.0])

    def q(values: np.ndarray, floor: float) -> float:
        return round(max(float(np.quantile(values, quantile)), floor), 3)

    return Thresholds(
        device_hourly=q(hourly, FLOORS.device_hourly),
        device_cusum=q(drift, FLOORS.device_cusum),
        store_hourly=q(store_hourly, FLOORS.store_hourly),
        store_cusum=q(store_drift, FLOORS.store_cusum),
        source=f"calibrated until {until.isoformat()} on {len(scored)} device-hours (q = {quantile})",
    )
