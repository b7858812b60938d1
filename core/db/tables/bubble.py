"""Bubble (A) tables, app schema: the per-device observations the model scores.

- ``bubble_attributions``: every canonical transaction as Bubble last attributed it — to which device,
  store and UTC hour (no device: an unattributed row, counted per store, never scored). When a newer
  version moves a transaction to another hour or device, both hours are recomputed.
- ``bubble_device_hours``: per (merchant, device, hour) the raw counts (docs/bubble.md), recomputed
  from the canonical transactions of that device and hour every time one of them changes, never
  incremented, so a redelivery, a replay and ``canary rebuild bubble`` all give the same row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field

from core.db.base import APP, TenantKey
from core.db.types import UTCDateTime


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
