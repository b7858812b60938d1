"""What scoring returns: a row per device-hour and per store-hour, and the episodes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

OK, INSUFFICIENT, ANOMALOUS = "ok", "insufficient_history", "anomalous"


@dataclass(frozen=True)
class DeviceScore:
    device_id: str
    store_id: str
    hour: datetime
    score: float | None  # None while the device has insufficient history
    alert: bool
    state: str  # ok | insufficient_history | anomalous
    top_dimension: str
    hourly: float  # raw D²
    drift: float  # raw highest risk CUSUM (nats), 0 on hours without a sale
    episode_id: str = ""
    burst: float = 0.0  # raw highest burst CUSUM (nats), 0 on hours without a sale
    # Each dimension's expected value under the device's baseline and what was observed, in the
    # business units of core/bubble/dimensions.UNITS, in DIMENSIONS order (empty if not computed).
    expected: tuple[float, ...] = ()
    observed: tuple[float, ...] = ()


@dataclass(frozen=True)
class StoreScore:
    store_id: str
    hour: datetime
    score: float
    alert: bool
    top_dimension: str
    hourly: float
    drift: float
    episode_id: str = ""

    @property
    def state(self) -> str:
        return ANOMALOUS if self.alert else OK


@dataclass(frozen=True)
class Evidence:
    """One dimension's part in an episode: its share of the excursion and expected vs observed over
    the episode's hours, in business units."""

    dimension: str
    share: float
    expected: float
    observed: float
    unit: str


@dataclass(frozen=True)
class Episode:
    id: str
    scope: str  # device | store
    store_id: str
    device_id: str | None
    start: datetime
    end: datetime  # start of the last flagged hour + 1 h
    hours: int  # flagged hours
    peak_score: float
    channel: str  # hourly (a spike) | drift (the CUSUM: creep) — whichever carried the peak
    evidence: tuple[Evidence, ...]

    @property
    def top_dimension(self) -> str:
        return self.evidence[0].dimension if self.evidence else ""


@dataclass(frozen=True)
class Revision:
    """An append-only baseline revision: why a device's baseline started or changed course."""

    device_id: str
    at: datetime
    kind: str  # peer_prior | own_history | history_sufficient | rebaselined
    detail: str


@dataclass
class Result:
    devices: list[DeviceScore] = field(default_factory=list)
    stores: list[StoreScore] = field(default_factory=list)
    episodes: list[Episode] = field(default_factory=list)
    revisions: list[Revision] = field(default_factory=list)
