"""Thresholds from a clean window, not from chi-square tables.

D² of discrete, zero-inflated scores is not χ²: a normalisation detail moves its tail by 50× either
way. So each channel's threshold comes from its own statistic over a window the analyst vouches for
(``--calibrate-until``): device-hours with input for the hourly channel, the hours with a sale for
the drift and burst channels, store-hours for the store channels.

The threshold is set to a false-alarm budget, not to an empirical quantile: the 99.9th percentile
of ~15,000 clean hours rests on its 15 largest values and moves with each of them, and it allows 15
false alarms per 15,000 hours. Above the 99th percentile the statistic's tail is fitted with an
exponential (its scale is the mean excess), and the threshold is where that tail leaves
``false_alarm_rate`` of the hours (default 0.5 per 10,000: 0.75 a month for 50 registers trading 14
hours a day). The window is scored with the default thresholds (they steer the poisoning guard while
it runs), then everything is scored again with the calibrated ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import numpy as np

from core.bubble.dimensions import DeviceHour
from core.bubble.model import Config, Thresholds
from core.bubble.scorer import score

# Calibrated on the simulator's clean weeks (docs/bubble.md, `canary bench bubble`), rounded.
DEFAULT_THRESHOLDS = Thresholds(
    device_hourly=40.0, device_cusum=12.0, store_hourly=25.0, store_cusum=12.0, device_burst=12.0
)
FALSE_ALARM_RATE = 0.5e-4  # per channel-hour
BODY = 0.99  # the tail is fitted above this quantile
MIN_TAIL = 5  # fewer values above the body: the largest value stands in for the fit
MIN_DEVICE_HOURS = 500
FLOORS = Thresholds(device_hourly=9.0, device_cusum=4.0, store_hourly=4.0, store_cusum=4.0, device_burst=4.0)


class CalibrationError(ValueError):
    """The calibration window cannot set thresholds (too short, or nothing scored in it)."""


def tail_threshold(values: np.ndarray, rate: float, body: float = BODY) -> float:
    """Where an exponential tail fitted above the ``body`` quantile of ``values`` leaves ``rate`` of
    them: q + β·ln((1 − body) / rate), β the mean excess over q."""
    if values.size == 0:
        return 0.0
    q = float(np.quantile(values, body))
    excess = values[values > q] - q
    if excess.size < MIN_TAIL:
        return float(values.max())
    return q + float(excess.mean()) * float(np.log((1.0 - body) / rate))


def calibrate(
    hours: Iterable[DeviceHour],
    until: datetime,
    config: Config | None = None,
    false_alarm_rate: float = FALSE_ALARM_RATE,
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
    drift = np.array([r.drift for r in scored if r.drift > 0])
    burst = np.array([r.burst for r in scored if r.burst > 0])
    store_hourly = np.array([r.hourly for r in result.stores])
    store_drift = np.array([r.drift for r in result.stores if r.drift > 0])

    def t(values: np.ndarray, floor: float) -> float:
        return round(max(tail_threshold(values, false_alarm_rate), floor), 3)

    return Thresholds(
        device_hourly=t(hourly, FLOORS.device_hourly),
        device_cusum=t(drift, FLOORS.device_cusum),
        store_hourly=t(store_hourly, FLOORS.store_hourly),
        store_cusum=t(store_drift, FLOORS.store_cusum),
        device_burst=t(burst, FLOORS.device_burst),
        source=f"calibrated until {until.isoformat()} on {len(scored)} device-hours "
        f"(exponential tail above q {BODY}, {false_alarm_rate * 1e4:g} false alarms per 10,000 hours)",
    )
