"""Bubble (A) tables, app schema: the per-device observations the model scores.

- ``bubble_attributions``: every canonical transaction as Bubble last attributed it — to which device,
  store and UTC hour (no device: an unattributed row, counted per store, never scored). When a newer
  version moves a transaction to another hour or device, both hours are recomputed.
- ``bubble_device_hours``: per (merchant, device, hour) the raw counts (docs/bubble.md), recomputed
  from the canonical transactions of that device and hour every time one of them changes, never
  incremented, so a redelivery, a replay and ``canary rebuild bubble`` all give the same row.

What scoring keeps (``core/bubble/service/scoring.py``, ``canary bubble run``): each run rescores
the merchant's device-hours from the first and replaces these rows, so the same device-hours and
thresholds give the same rows.

- ``bubble_device_scores``: per device-hour the score, state, the channel statistics and each
  dimension's expected vs observed value (the baseline the hour was judged against).
- ``bubble_store_scores``: per store-hour the store's common-mode score.
- ``bubble_episodes``: one signal per excursion (``A-BUBBLE-DEVICE`` / ``A-BUBBLE-STORE``) with its
  evidence.
- ``bubble_baseline_revisions``: why a device's baseline started or changed course (append-only in
  the model: a rescore reproduces the same history).
- ``bubble_scoring_runs``: the thresholds and the hour range of the merchant's latest run.
- ``bubble_rebaselines``: analysts' decisions, not derived from the ledger: one row per A-BUBBLE-DEVICE
  or A-BUBBLE-STORE detection closed as a false positive (the new normal), with the time its device
  (or store: ``device_id`` empty, the store is the detection's location) re-baselines from
  (core/bubble/service/rebaselines.py). Kept by ``canary rebuild bubble``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field

from core.db.base import APP, TenantKey, utcnow
from core.domain.columns import UTCDateTime


class BubbleAttribution(TenantKey, table=True):
    __tablename__ = "bubble_attributions"
    __table_args__ = (
        Index("ix_bubble_attributions_device_hour", "merchant_id", "device_id", "hour"),
        Index("ix_bubble_attributions_store_hour", "merchant_id", "store_id", "hour"),
        {"schema": APP},
    )

    transaction_id: str = Field(primary_key=True, max_length=160)
    device_id: str | None = Field(default=None, max_length=128)  # None: the source named no device
    store_id: str | None = Field(default=None, max_length=128)
    hour: datetime = Field(sa_type=UTCDateTime)  # the transaction's UTC hour (start)


class BubbleDeviceHour(TenantKey, table=True):
    """One device's activity in one UTC hour. A device-hour without any transaction has no row (a
    missing hour is an hour without activity, as the model reads it)."""

    __tablename__ = "bubble_device_hours"
    __table_args__ = (
        Index("ix_bubble_device_hours_hour", "merchant_id", "hour"),
        Index("ix_bubble_device_hours_store", "merchant_id", "store_id", "hour"),
        {"schema": APP},
    )

    device_id: str = Field(primary_key=True, max_length=128)
    hour: datetime = Field(primary_key=True, sa_type=UTCDateTime)
    store_id: str = Field(max_length=128)  # the location of the hour's latest transaction
    transactions: int = 0  # tickets rung: SALE, REFUND, EXCHANGE, VOID, POST_VOID
    amount_cents: int = 0  # gross amount of the hour's sales and exchanges that were not voided
    voids: int = 0
    refunds: int = 0
    no_sales: int = 0
    cash_tenders: int = 0  # tickets paid (or refunded) at least partly in cash
    gap_minutes_mean: float | None = None  # mean minutes between consecutive tickets (≥ 2 tickets)
    distinct_employees: int = 0
    network_events: int | None = None  # device telemetry; no source delivers it today


class BubbleDeviceScore(TenantKey, table=True):
    __tablename__ = "bubble_device_scores"
    __table_args__ = (
        Index("ix_bubble_device_scores_hour", "merchant_id", "hour"),
        Index("ix_bubble_device_scores_store", "merchant_id", "store_id", "hour"),
        {"schema": APP},
    )

    device_id: str = Field(primary_key=True, max_length=128)
    hour: datetime = Field(primary_key=True, sa_type=UTCDateTime)
    store_id: str = Field(max_length=128)
    score: float | None = None  # None in insufficient_history
    alert: bool = False
    state: str = Field(max_length=24)  # ok | insufficient_history | anomalous
    top_dimension: str = Field(default="", max_length=32)
    hourly: float = 0.0  # raw D² (dimensionless)
    drift: float = 0.0  # highest risk CUSUM, nats
    episode_id: str = Field(default="", max_length=300)
    expected: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # dimension → business units
    observed: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class BubbleStoreScore(TenantKey, table=True):
    __tablename__ = "bubble_store_scores"
    __table_args__ = (Index("ix_bubble_store_scores_hour", "merchant_id", "hour"), {"schema": APP})

    store_id: str = Field(primary_key=True, max_length=128)
    hour: datetime = Field(primary_key=True, sa_type=UTCDateTime)
    score: float = 0.0
    alert: bool = False
    top_dimension: str = Field(default="", max_length=32)
    hourly: float = 0.0
    drift: float = 0.0
    episode_id: str = Field(default="", max_length=300)


class BubbleEpisodeRow(TenantKey, table=True):
    __tablename__ = "bubble_episodes"
    __table_args__ = (
        Index("ix_bubble_episodes_start", "merchant_id", "start"),
        Index("ix_bubble_episodes_device", "merchant_id", "device_id", "start"),
        {"schema": APP},
    )

    id: str = Field(primary_key=True, max_length=300)
    rule_id: str = Field(max_length=16)  # A-BUBBLE-DEVICE | A-BUBBLE-STORE
    scope: str = Field(max_length=8)  # device | store
    store_id: str = Field(max_length=128)
    device_id: str | None = Field(default=None, max_length=128)
    start: datetime = Field(sa_type=UTCDateTime)
    end: datetime = Field(sa_type=UTCDateTime)
    hours: int = 0  # flagged hours
    peak_score: float = 0.0
    channel: str = Field(max_length=8)  # hourly | drift
    top_dimension: str = Field(default="", max_length=32)
    evidence: list[Any] = Field(default_factory=list, sa_type=JSON)


class BubbleBaselineRevision(TenantKey, table=True):
    __tablename__ = "bubble_baseline_revisions"
    __table_args__ = ({"schema": APP},)

    device_id: str = Field(primary_key=True, max_length=128)
    at: datetime = Field(primary_key=True, sa_type=UTCDateTime)
    kind: str = Field(
        primary_key=True, max_length=24
    )  # peer_prior | own_history | history_sufficient | rebaselined
    detail: str = Field(default="", max_length=1_000)


class BubbleScoringRun(TenantKey, table=True):
    __tablename__ = "bubble_scoring_runs"
    __table_args__ = ({"schema": APP},)

    thresholds: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    first_hour: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_hour: datetime | None = Field(default=None, sa_type=UTCDateTime)
    device_hours: int = 0
    episodes: int = 0
    run_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # What the device-hours looked like when scored (count, range, column totals): housekeeping
    # rescores only when it differs (core/bubble/service/scoring.py).
    hours_fingerprint: str | None = Field(default=None, max_length=64)


class BubbleRebaseline(TenantKey, table=True):
    __tablename__ = "bubble_rebaselines"
    __table_args__ = ({"schema": APP},)

    detection_id: str = Field(primary_key=True, max_length=40)
    device_id: str = Field(max_length=128)
    at: datetime = Field(sa_type=UTCDateTime)  # the end of the dismissed episode: learned from here on
    case_id: str | None = Field(default=None, max_length=40)
    reason: str = Field(default="", max_length=1_000)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
