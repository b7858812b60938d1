"""Typed answers of Bubble's read service (``core/bubble/service/views.py``), which canary-bubble
returns. Times are timezone-aware UTC. Every expected-vs-observed value names its dimension and its
unit; scores are dimensionless (a channel's statistic over its threshold: 1 or more alerts).
Device and store ids are ``Id`` (passed back to tools); dimension names, units and revision details
are Canary's own text (``OurText``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from core.text import Id, OurText


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)


class DimensionValue(_Result):
    dimension: OurText = Field(description="The scored dimension, e.g. void_rate or transactions.")
    unit: OurText = Field(
        description="The unit of expected and observed, e.g. 'voids' (a rate's values are counts: the "
        "baseline rate times the hour's transactions), 'cents per transaction', 'transactions'."
    )
    expected: float | None = Field(
        description="What the device's baseline expected, in `unit`; null when the dimension is not "
        "scored for this hour (a mean gap below two transactions, no network telemetry)."
    )
    observed: float | None = Field(description="What the device did, in `unit`; null as for expected.")


class Thresholds(_Result):
    device_hourly: float = Field(description="D² (dimensionless) at which a device-hour alerts as a spike.")
    device_cusum: float = Field(description="Nats of a device's risk CUSUM at which it alerts as drift.")
    store_hourly: float = Field(description="The store's common-mode statistic (dimensionless) that alerts.")
    store_cusum: float = Field(description="Nats of the store's leave-top-one-out CUSUM that alert.")
    device_burst: float | None = Field(
        default=None,
        description="Nats of a device's burst CUSUM (a spike over a few hours) at which it alerts; "
        "null for a run scored before the burst channel existed.",
    )
    source: OurText = Field(description="'default', or the clean window the thresholds were calibrated on.")


class DeviceBaseline(_Result):
    device_id: Id
    store_id: Id
    hour: datetime = Field(description="The device-hour judged (UTC start of the hour): the latest, or `at`.")
    state: OurText = Field(description="ok | insufficient_history | anomalous at that hour.")
    score: float | None = Field(description="Dimensionless; 1 or more alerts; null in insufficient_history.")
    top_dimension: OurText = Field(
        description="The dimension that carried most of the hour's score ('' if none)."
    )
    dimensions: list[DimensionValue] = Field(
        description="At that hour: each dimension's expected value under the baseline vs the observed."
    )
    week: list[DimensionValue] = Field(
        description="Over the device's last 168 scored hours up to that hour: the mean per device-hour "
        "of expected and of observed, per dimension (the device's usual week against what it did)."
    )
    hours_scored: int = Field(description="Device-hours with a row, up to that hour.")
    first_hour: datetime = Field(description="The device's first device-hour (UTC).")
    thresholds: Thresholds
    scored_at: datetime = Field(description="When the merchant's device-hours were last scored (UTC).")


class Evidence(_Result):
    dimension: OurText = Field(description="The dimension, e.g. void_rate.")
    unit: OurText = Field(description="The unit of expected and observed, e.g. 'voids'.")
    share: float = Field(description="Its share of the episode's excursion, 0–1.")
    expected: float = Field(
        description="Expected over the episode's flagged hours, in `unit`: summed for counts, averaged "
        "for avg_ticket, gap_minutes and distinct_employees."
    )
    observed: float = Field(description="Observed over the same hours, in `unit`, summed or averaged alike.")


class Anomaly(_Result):
    episode_id: Id
    rule_id: Id = Field(description="A-BUBBLE-DEVICE (one device) or A-BUBBLE-STORE (the store as a whole).")
    scope: OurText = Field(description="device | store.")
    store_id: Id
    device_id: Id | None = Field(description="The device; null for a store episode.")
    start: datetime = Field(description="Start of the first flagged hour (UTC).")
    end: datetime = Field(description="End of the last flagged hour (UTC).")
    flagged_hours: int = Field(description="Alerted hours merged into the episode (gaps under 6 h merge).")
    peak_score: float = Field(description="The highest hourly score (dimensionless, ≥ 1).")
    channel: OurText = Field(
        description="hourly (a spike) | drift (a CUSUM: creep), whichever carried the peak."
    )
    top_dimension: OurText
    evidence: list[Evidence] = Field(description="Up to four dimensions, largest share first.")


class AnomalyPage(_Result):
    items: list[Anomaly] = Field(description="Newest first.")
    next_cursor: Id | None = Field(description="Pass it back for the next page; null on the last page.")


class StoreDevice(_Result):
    device_id: Id
    hours_scored: int = Field(description="Device-hours in the window.")
    insufficient_hours: int = Field(description="Of those, hours in insufficient_history (not scored).")
    alerted_hours: int = Field(description="Of those, hours that alerted.")
    episodes: int = Field(description="A-BUBBLE-DEVICE episodes starting in the window.")
    mean_score: float | None = Field(
        description="Mean dimensionless score of its scored hours; null if none."
    )
    top_dimension: OurText = Field(
        description="The dimension most often on top in its alerted hours ('' if none)."
    )


class StorePattern(_Result):
    store_id: Id
    start: datetime = Field(description="The window's start (UTC): `start`, or the store's first hour.")
    end: datetime = Field(description="The window's end (UTC, exclusive).")
    devices: list[StoreDevice] = Field(description="Every device with hours in the window, by device id.")
    shared_alert_hours: int = Field(
        description="Hours in which two or more of the store's devices alerted at once (a cross-device "
        "pattern the store's common mode did not absorb)."
    )
    store_alerted_hours: int = Field(description="Store-hours whose common-mode score alerted.")
    store_episodes: list[Anomaly] = Field(
        description="A-BUBBLE-STORE episodes starting in the window, newest first."
    )


class Revision(_Result):
    at: datetime = Field(description="When the baseline started or changed course (UTC).")
    kind: OurText = Field(
        description="peer_prior (started from its store peers), own_history (no peer: its own history, "
        "insufficient_history until 48 active hours), history_sufficient, rebaselined."
    )
    detail: OurText


class BaselineHistoryPage(_Result):
    device_id: Id
    items: list[Revision] = Field(description="Oldest first; the history is append-only.")
    next_cursor: Id | None = Field(description="Pass it back for the next page; null on the last page.")


class DeviceOverview(_Result):
    """One device as the console's Devices page lists it: where it stands now."""

    device_id: Id
    store_id: Id
    last_hour: datetime = Field(description="Its latest scored device-hour (UTC start of the hour).")
    state: OurText = Field(description="ok | insufficient_history | anomalous at that hour.")
    score: float | None = Field(
        description="That hour's score (dimensionless, 1 or more alerts); null if not scored."
    )
    top_dimension: OurText = Field(description="What carried that hour's score ('' if nothing).")
    hours_scored: int = Field(description="Device-hours with a row.")
    alerted_week: int = Field(description="Alerted hours among the 168 hours up to its latest.")
    episodes: int = Field(description="A-BUBBLE-DEVICE episodes, all time.")
    last_episode: datetime | None = Field(description="Start of its latest episode (UTC); null if none.")
    baseline: OurText = Field(
        description="Its latest baseline revision: peer_prior, own_history, history_sufficient or "
        "rebaselined."
    )
    baseline_at: datetime | None = Field(description="When that revision happened (UTC).")
    baseline_detail: OurText = Field(description="Why, as the model or the analyst put it.")


class StoreDevices(_Result):
    store_id: Id
    devices: list[DeviceOverview] = Field(description="By device id.")
    store_episodes: int = Field(description="A-BUBBLE-STORE episodes of the store, all time.")
    last_store_episode: datetime | None = Field(description="Start of its latest store episode (UTC).")


class DeviceList(_Result):
    scored_at: datetime | None = Field(description="When the merchant was last scored; null: never.")
    stores: list[StoreDevices] = Field(description="By store id.")
