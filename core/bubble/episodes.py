"""One signal per excursion: flagged hours of a device (or store) closer than the gap merge into an
episode that carries each dimension's share and expected vs observed over its hours.

The gap counts the subject's active hours (hours it has input), not the clock: a drift that is still
there when the store reopens in the morning continues last evening's episode instead of starting a
new one after a night of no activity. Flagged hours without an active-hour position fall back to the
clock."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TypeVar

import numpy as np

from core.bubble.dimensions import DIMENSIONS, EMPLOYEES, GAP, TICKET, UNITS
from core.bubble.results import DeviceScore, Episode, Evidence, Result, StoreScore

MEAN_DIMS = [TICKET, GAP, EMPLOYEES]  # averaged over hours; the other dimensions add up
MAX_EVIDENCE = 4  # the dimensions an episode names (the ones carrying most of the excursion)
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class FlaggedHour:
    hour: datetime
    score: float
    channel: str
    shares: np.ndarray
    expected: np.ndarray
    observed: np.ndarray
    active: int | None = None  # the subject's active hours so far, this one included


class EpisodeBuilder:
    def __init__(self, gap_hours: int) -> None:
        self.gap_hours = gap_hours
        self.devices: dict[tuple[str, str], list[FlaggedHour]] = defaultdict(list)
        self.stores: dict[str, list[FlaggedHour]] = defaultdict(list)

    def add_device(self, flagged: FlaggedHour, device_id: str, store_id: str) -> None:
        self.devices[(device_id, store_id)].append(flagged)

    def add_store(self, flagged: FlaggedHour, store_id: str) -> None:
        self.stores[store_id].append(flagged)

    def finish(self, result: Result) -> list[Episode]:
        episodes: list[Episode] = []
        for (device, store), hours in sorted(self.devices.items()):
            episodes += [_episode("device", store, device, run) for run in self._runs(hours)]
        for store, hours in sorted(self.stores.items()):
            episodes += [_episode("store", store, None, run) for run in self._runs(hours)]
        _tag(result, episodes)
        return sorted(episodes, key=lambda e: (e.start, e.scope, e.store_id, e.device_id or ""))

    def _runs(self, hours: list[FlaggedHour]) -> list[list[FlaggedHour]]:
        runs: list[list[FlaggedHour]] = []
        for flagged in sorted(hours, key=lambda h: h.hour):
            if runs and _distance(runs[-1][-1], flagged) <= self.gap_hours:
                runs[-1].append(flagged)
            else:
                runs.append([flagged])
        return runs


def _distance(before: FlaggedHour, after: FlaggedHour) -> float:
    """Hours from one flagged hour to the next: active hours when both know their position."""
    if before.active is not None and after.active is not None:
        return after.active - before.active
    return (after.hour - before.hour) / HOUR


def episode_id(scope: str, store: str, device: str | None, start: datetime) -> str:
    subject = device if device is not None else store
    return f"{scope}:{store}:{subject}:{start:%Y%m%dT%H}"


def _episode(scope: str, store: str, device: str | None, run: list[FlaggedHour]) -> Episode:
    weights = np.array([h.score for h in run])
    shares = (np.stack([h.shares for h in run]) * weights[:, None]).sum(axis=0)
    shares = shares / shares.sum() if shares.sum() > 0 else shares
    expected = np.stack([h.expected for h in run]).sum(axis=0)
    observed = np.stack([h.observed for h in run]).sum(axis=0)
    expected[MEAN_DIMS] /= len(run)
    observed[MEAN_DIMS] /= len(run)
    order = [int(j) for j in np.argsort(-shares, kind="stable") if shares[j] > 0][:MAX_EVIDENCE]
    evidence = tuple(
        Evidence(
            DIMENSIONS[j],
            round(float(shares[j]), 4),
            round(float(expected[j]), 2),
            round(float(observed[j]), 2),
            UNITS[DIMENSIONS[j]],
        )
        for j in order
    )
    peak = max(run, key=lambda h: h.score)
    return Episode(
        episode_id(scope, store, device, run[0].hour),
        scope,
        store,
        device,
        run[0].hour,
        run[-1].hour + HOUR,
        len(run),
        round(peak.score, 4),
        peak.channel,
        evidence,
    )


def _tag(result: Result, episodes: list[Episode]) -> None:
    """Write each episode's id onto the flagged rows it merged."""
    device_ep: dict[tuple[str | None, datetime, datetime], str] = {
        (e.device_id, e.start, e.end): e.id for e in episodes if e.scope == "device"
    }
    store_ep: dict[tuple[str | None, datetime, datetime], str] = {
        (e.store_id, e.start, e.end): e.id for e in episodes if e.scope == "store"
    }

    def find(table: dict[tuple[str | None, datetime, datetime], str], key: str, hour: datetime) -> str:
        for (subject, start, end), ident in table.items():
            if subject == key and start <= hour < end:
                return ident
        return ""

    result.devices = [
        _with_episode(row, find(device_ep, row.device_id, row.hour)) if row.alert else row
        for row in result.devices
    ]
    result.stores = [
        _with_episode(row, find(store_ep, row.store_id, row.hour)) if row.alert else row
        for row in result.stores
    ]


R = TypeVar("R", DeviceScore, StoreScore)


def _with_episode(row: R, ident: str) -> R:
    return replace(row, episode_id=ident)


__all__ = ["MEAN_DIMS", "DeviceScore", "EpisodeBuilder", "FlaggedHour", "StoreScore", "episode_id"]
