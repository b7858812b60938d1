"""Device-hours laid out for the hour-by-hour walk: devices and stores indexed, rows by hour."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from core.bubble.baseline import Observed
from core.bubble.dimensions import DeviceHour

HOUR = timedelta(hours=1)


class InputError(ValueError):
    """The device-hours cannot be scored as given (the message says which and why)."""


@dataclass
class Frame:
    devices: list[str]
    device_store: np.ndarray  # store index per device
    stores: list[str]
    first: list[datetime]  # a device exists from its first hour …
    last: list[datetime]  # … to its last
    by_hour: dict[datetime, list[tuple[int, DeviceHour]]]

    @property
    def hours(self) -> list[datetime]:
        """Every hour from the first to the last, so a missing hour is an hour without activity."""
        if not self.by_hour:
            return []
        start, end = min(self.by_hour), max(self.by_hour)
        count = int((end - start) / HOUR) + 1
        return [start + i * HOUR for i in range(count)]


def bucket_of(hour: datetime) -> int:
    """Hour of week, Monday 00:00 UTC = 0."""
    return hour.weekday() * 24 + hour.hour


def build(hours: Iterable[DeviceHour]) -> Frame:
    rows = list(hours)
    store_of: dict[str, str] = {}
    seen: set[tuple[str, datetime]] = set()
    for row in rows:
        if row.hour.tzinfo is None or row.hour.utcoffset() != timedelta(0):
            raise InputError(f"hour {row.hour.isoformat()} of device {row.device_id} is not UTC")
        if row.hour.minute or row.hour.second or row.hour.microsecond:
            raise InputError(
                f"hour {row.hour.isoformat()} of device {row.device_id} is not the start of an hour"
            )
        key = (row.device_id, row.hour)
        if key in seen:
            raise InputError(f"device {row.device_id} has two rows for {row.hour.isoformat()}")
        seen.add(key)
        if store_of.setdefault(row.device_id, row.store_id) != row.store_id:
            raise InputError(
                f"device {row.device_id} appears in stores {store_of[row.device_id]} and {row.store_id}"
            )
    devices = sorted(store_of)
    index = {d: i for i, d in enumerate(devices)}
    stores = sorted(set(store_of.values()))
    sindex = {s: i for i, s in enumerate(stores)}
    first = [datetime.max.replace(tzinfo=UTC)] * len(devices)
    last = [datetime.min.replace(tzinfo=UTC)] * len(devices)
    by_hour: dict[datetime, list[tuple[int, DeviceHour]]] = defaultdict(list)
    for row in rows:
        i = index[row.device_id]
        hour = row.hour.astimezone(UTC)
        first[i], last[i] = min(first[i], hour), max(last[i], hour)
        by_hour[hour].append((i, row))
    for hour_rows in by_hour.values():
        hour_rows.sort(key=lambda pair: pair[0])
    device_store = np.array([sindex[store_of[d]] for d in devices], dtype=int)
    return Frame(devices, device_store, stores, first, last, dict(by_hour))


def observe(frame_rows: list[tuple[int, DeviceHour]], devices: int) -> Observed:
    obs = Observed(devices)
    if not frame_rows:
        return obs
    table = np.array(
        [
            (
                i,
                r.transactions,
                r.amount_cents,
                r.voids,
                r.refunds,
                r.cash_tenders,
                r.no_sales,
                r.distinct_employees,
                r.network_events is not None,
                r.network_events or 0,
                r.gap_minutes_mean is not None,
                0.0 if r.gap_minutes_mean is None else r.gap_minutes_mean,
            )
            for i, r in frame_rows
        ],
        dtype=float,
    )
    i = table[:, 0].astype(int)
    n = table[:, 1]
    obs.n[i] = n
    obs.amount[i] = table[:, 2]
    k = table[:, 3:6]  # voids, refunds, cash tenders
    obs.k[i] = k
    obs.trials[i] = np.maximum(n[:, None], k)  # a source counting voids outside its tickets: never k > n
    obs.counts[i, 0] = table[:, 6]
    obs.counts[i, 1] = np.maximum(table[:, 7] - (n > 0), 0)
    telemetry = table[:, 8] > 0
    obs.has_count[i, 2] = telemetry
    obs.counts[i, 2] = np.where(telemetry, table[:, 9], 0.0)
    gap = (table[:, 10] > 0) & (n >= 2)
    obs.gap[i] = np.where(gap, table[:, 11], 0.0)
    obs.has_gap[i] = gap
    obs.employees[i] = table[:, 7]
    obs.input_row[i] = True
    return obs
