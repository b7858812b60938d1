"""A small device-hour world stored as Bubble's observations, for the scoring and canary-bubble tests:
three registers of one store over two weeks, one of them with a void spike."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from core.bubble import DeviceHour
from core.bubble.service.observations import HOURS
from core.db.tables.tenants import Merchant
from core.db.uow import Database

T0 = datetime(2026, 3, 2, tzinfo=UTC)
SPIKE = T0 + timedelta(days=13, hours=14)
DEVICES = ("D1", "D2", "D3")


def world(store: str = "sq:location:L1", prefix: str = "sq:device:") -> list[DeviceHour]:
    """Three registers, two weeks, ten sales an hour 09:00–20:59 with a void every fourth hour; on
    day 13 at 14:00 register D1 voids nine of its ten tickets. (Each register's voids fall in other
    hours: voids on every register at once would be the store's signal.)"""
    rows = []
    for index, name in enumerate(DEVICES):
        device = f"{prefix}{name}"
        for day in range(14):
            for h in range(9, 21):
                hour = T0 + timedelta(days=day, hours=h)
                voids = 9 if (index == 0 and hour == SPIKE) else int((h + index) % 4 == 0)
                rows.append(DeviceHour(device, store, hour, 10, 4500, voids, 0, 0, 3, 6.0, 1, None))
    return rows


def seed(db: Database, rows: list[DeviceHour], merchant_id: str | None = None) -> str:
    """Store ``rows`` as a merchant's device-hours (a new merchant unless one is given)."""
    if merchant_id is None:
        merchant_id = f"m_{uuid.uuid4().hex[:12]}"
        with db.tenant(merchant_id) as session:
            session.add(Merchant(id=merchant_id, name="Greenleaf Garden Center"))
    if not rows:
        return merchant_id
    with db.tenant(merchant_id) as session:
        session.execute(
            HOURS.insert(),
            [
                {
                    "merchant_id": merchant_id,
                    "device_id": r.device_id,
                    "store_id": r.store_id,
                    "hour": r.hour,
                    "transactions": r.transactions,
                    "amount_cents": r.amount_cents,
                    "voids": r.voids,
                    "refunds": r.refunds,
                    "no_sales": r.no_sales,
                    "cash_tenders": r.cash_tenders,
                    "gap_minutes_mean": r.gap_minutes_mean,
                    "distinct_employees": r.distinct_employees,
                    "network_events": r.network_events,
                }
                for r in rows
            ],
        )
    return merchant_id


def chain(
    drift_store: str = "sq:location:L1", stores: int = 4, days: int = 14, voids: int = 3
) -> list[DeviceHour]:
    """``stores`` stores of three registers like ``world`` (no spike); on the last day every register
    of ``drift_store`` voids ``voids`` tickets an hour: the whole store drifts, no register alone."""
    rows = []
    for s in range(1, stores + 1):
        store = f"sq:location:L{s}"
        for d in range(1, 4):
            device = f"sq:device:S{s}D{d}"
            for day in range(days):
                for h in range(9, 21):
                    hour = T0 + timedelta(days=day, hours=h)
                    v = voids if (store == drift_store and day == days - 1) else int((h + d) % 4 == 0)
                    rows.append(DeviceHour(device, store, hour, 10, 4500, v, 0, 0, 3, 6.0, 1, None))
    return rows
