"""The model's settings and the analyst actions it takes as input."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Config:
    """Bubble's knobs. Defaults are the ones docs/bubble.md explains and the bench measured."""

    half_life_days: float = 14.0  # rates, ticket, gap and correlation forget at this half-life (7–21)
    min_own_hours: int = 48  # active hours a device needs on its own before it is scored …
    peer_min_hours: int = 96  # … unless a store peer with this much history lends it a prior
    mature_hours: int = 120  # active hours before the CUSUMs run and the guard may freeze a rate: a
    # young baseline that froze on its own noise would keep a CUSUM climbing forever
    prior_transactions: float = 100.0  # pseudo-transactions of the peer prior on rates
    prior_hours: float = 24.0  # pseudo-hours of the peer prior on rare counts
    correlation_prior: float = 200.0  # pseudo-hours pulling a device's correlation toward its store's
    odds_ratio: float = 3.0  # the shift the CUSUM is tuned to detect
    burst_odds_ratio: float = 8.0  # the shift the burst CUSUM is tuned to detect (a spike over hours)
    burst_cap: float = 16.0  # nats; low, so a burst's CUSUM drains within hours of its end
    cusum_cap: float = 30.0  # nats; bounds how long an excursion keeps the CUSUM up
    freeze_level: float = 4.0  # nats; a risk dimension's baseline is frozen while its CUSUM is above
    max_skip_hours: int = 168  # the poisoning guard stops skipping a device after this many hours
    episode_gap_hours: int = 6  # flagged hours closer than this many active hours merge into one episode
    relearn_hours: int = 24  # after a re-baseline: active hours learned unguarded, with no drift evidence
    relearn_weight: float = 100.0  # after a re-baseline: the old baseline's evidence, in transactions
    dispersion_max: float = 2.0  # cap on the Negative Binomial overdispersion of hourly traffic

    def __post_init__(self) -> None:
        if not 7.0 <= self.half_life_days <= 21.0:
            raise ValueError(f"half_life_days must be between 7 and 21, not {self.half_life_days}")

    @property
    def hourly_decay(self) -> float:
        return float(0.5 ** (1.0 / (24.0 * self.half_life_days)))

    @property
    def weekly_decay(self) -> float:
        """Hour-of-week buckets see one observation a week, so they forget per week."""
        return float(0.5 ** (7.0 / self.half_life_days))


@dataclass(frozen=True)
class Rebaseline:
    """An analyst dismissed a Bubble case as the new normal: at ``at`` the device's baseline keeps its
    means but only ``Config.relearn_weight`` transactions' worth of evidence, the hours the poisoning
    guard held back are learned, its CUSUMs restart; for the next ``Config.relearn_hours`` active
    hours it learns every hour (no guard, no freezing) and gathers no drift evidence, so a lasting
    change of level becomes its baseline instead of a string of drift episodes."""

    device_id: str
    at: datetime
    reason: str = "dismissed as the new normal"


@dataclass(frozen=True)
class StoreRebaseline:
    """An analyst dismissed a store case (A-BUBBLE-STORE) as the new normal: at ``at`` every device of
    the store re-baselines as a ``Rebaseline`` would (its common-mode shift is theirs), the store's
    CUSUM and its episode restart, and for the next ``Config.relearn_hours`` of the store's active
    hours the store gathers no drift evidence and raises nothing while its devices relearn, so the
    same shift, the store's new normal, is not signalled again."""

    store_id: str
    at: datetime
    reason: str = "dismissed as the new normal"


@dataclass(frozen=True)
class Thresholds:
    """Where each channel's raw statistic becomes an alert (score = statistic / threshold ≥ 1).
    ``calibrate`` sets them from a clean window; the defaults are docs/bubble.md's."""

    device_hourly: float  # D² of a device-hour
    device_cusum: float  # nats of a device's highest risk CUSUM
    store_hourly: float  # the store's common-mode statistic
    store_cusum: float  # nats of the store's leave-top-one-out CUSUM
    device_burst: float = 12.0  # nats of a device's highest burst CUSUM (a multi-hour spike)
    source: str = "default"  # "default" or "calibrated until <ISO time> on N device-hours"
