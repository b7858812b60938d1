"""Bubble's observations: the ``bubble`` consumer of ``canary:detection`` and ``canary rebuild bubble``.

Per (merchant, device, UTC hour) Bubble keeps the raw counts the model scores
(``app.bubble_device_hours``). The consumer never increments them: for every transaction an event
names it reads the transaction's canonical row (parse committed it before publishing the event),
records where it is attributed now (``app.bubble_attributions``: device, store, hour) and recomputes
every device-hour the transaction was in before or is in now from the canonical transactions of that
device and hour (``core.bubble.observe.device_hour``). So a redelivery, an older version arriving
late, a replay and the rebuild all leave the same rows, whatever the order the events arrived in.

Exactly-once in effect through ``core.consumers.tracked``: the recomputation and the message keys
commit in one transaction under ``BUBBLE_LOCK``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, and_, func, or_, select
from sqlmodel import Session

from core.bubble.dimensions import DeviceHour
from core.bubble.observe import Ticket, device_hour, hour_of
from core.bus.port import PARSED_EVENTS
from core.clock import Clock
from core.consumers.tracked import Batch, ParsedEventConsumer
from core.db.dialect import MerchantLock, insert_for
from core.db.tables.bubble import BubbleAttribution, BubbleDeviceHour
from core.db.tables.sales import TenderRow, TransactionRow
from core.db.uow import Database
from core.domain.parsing import ParsedEvent

CONSUMER = "bubble"
BUBBLE_LOCK = MerchantLock("canary.bubble")
ATTR: Table = BubbleAttribution.__table__  # type: ignore[attr-defined]
HOURS: Table = BubbleDeviceHour.__table__  # type: ignore[attr-defined]
TXN: Table = TransactionRow.__table__  # type: ignore[attr-defined]
TENDERS: Table = TenderRow.__table__  # type: ignore[attr-defined]
CHUNK = 500
HOUR = timedelta(hours=1)
COUNT_COLUMNS = (
    "store_id",
    "transactions",
    "amount_cents",
    "voids",
    "refunds",
    "no_sales",
    "cash_tenders",
    "gap_minutes_mean",
    "distinct_employees",
    "network_events",
)

DeviceHourKey = tuple[str, datetime]


@dataclass(frozen=True)
class ObserveSummary:
    messages: int = 0
    duplicates: int = 0
    transactions: int = 0
    device_hours: int = 0  # device-hours recomputed


class BubbleObservations(ParsedEventConsumer[ObserveSummary]):
    """A ``Stage`` for the worker runner: name ``bubble`` on ``detection``, group ``bubble``."""

    name = "bubble"
    stream = PARSED_EVENTS
    group = "bubble"
    consumer = CONSUMER

    def __init__(self, db: Database, clock: Clock) -> None:
        super().__init__(db, clock, BUBBLE_LOCK)

    def apply_batch(self, session: Session, batch: Batch[ParsedEvent]) -> ObserveSummary:
        ids = sorted(transaction_ids(batch.fresh))
        hours = refresh(session, batch.merchant_id, ids) if ids else 0
        return ObserveSummary(batch.received, batch.duplicates, len(ids), hours)


def transaction_ids(events: Iterable[ParsedEvent]) -> set[str]:
    """The canonical transactions the events wrote (a control such as a no-sale is a transaction)."""
    found: set[str] = set()
    for event in events:
        txn = event.facts.get("transaction")
        if isinstance(txn, dict) and isinstance(txn.get("id"), str):
            found.add(txn["id"])
        # a replay's retraction: the transactions it removed are re-attributed (gone or older)
        found.update(str(key[0]) for key in event.removed("transactions") if key)
    return found


def refresh(session: Session, merchant_id: str, ids: Sequence[str]) -> int:
    """Re-attribute these transactions from their canonical rows and recompute every device-hour
    they were in or are in now; returns how many device-hours were recomputed."""
    affected: set[DeviceHourKey] = set()
    for part in _chunks(ids):
        for row in session.execute(
            select(ATTR.c.device_id, ATTR.c.hour).where(
                ATTR.c.merchant_id == merchant_id,
                ATTR.c.transaction_id.in_(part),
                ATTR.c.device_id.is_not(None),
            )
        ):
            affected.add((row.device_id, row.hour))
        current = [
            _attribution(merchant_id, row)
            for row in session.execute(
                select(TXN.c.id, TXN.c.device_id, TXN.c.location_id, TXN.c.occurred_at).where(
                    TXN.c.merchant_id == merchant_id, TXN.c.id.in_(part)
                )
            )
        ]
        affected.update((a["device_id"], a["hour"]) for a in current if a["device_id"])
        gone = sorted(set(part) - {a["transaction_id"] for a in current})
        if gone:  # no canonical row any more (a replay retracted it): no attribution either
            session.execute(
                ATTR.delete().where(ATTR.c.merchant_id == merchant_id, ATTR.c.transaction_id.in_(gone))
            )
        if current:
            insert = insert_for(session)(ATTR)
            session.execute(
                insert.on_conflict_do_update(
                    index_elements=["merchant_id", "transaction_id"],
                    set_={c: insert.excluded[c] for c in ("device_id", "store_id", "hour")},
                ),
                current,
            )
    recompute(session, merchant_id, affected)
    return len(affected)


def recompute(session: Session, merchant_id: str, keys: Iterable[DeviceHourKey]) -> None:
    """Rewrite these device-hours from the canonical transactions (a device-hour left without any
    transaction loses its row)."""
    by_device: dict[str, set[datetime]] = defaultdict(set)
    for device, hour in keys:
        by_device[device].add(hour)
    rows: list[DeviceHour] = []
    empty: list[DeviceHourKey] = []
    for device, hours in sorted(by_device.items()):
        ordered = sorted(hours)
        for part in _chunks(ordered, 100):
            window = or_(*(and_(TXN.c.occurred_at >= h, TXN.c.occurred_at < h + HOUR) for h in part))
            grouped = _tickets(session, merchant_id, and_(TXN.c.device_id == device, window))
            for hour in part:
                made = device_hour(device, hour, grouped.get((device, hour), []))
                if made is None:
                    empty.append((device, hour))
                else:
                    rows.append(made)
    for device, hour in empty:
        session.execute(
            HOURS.delete().where(
                HOURS.c.merchant_id == merchant_id, HOURS.c.device_id == device, HOURS.c.hour == hour
            )
        )
    _upsert_hours(session, merchant_id, rows)


def _tickets(session: Session, merchant_id: str, where: Any) -> dict[DeviceHourKey, list[Ticket]]:
    """The canonical transactions matching ``where``, as tickets grouped by (device, hour)."""
    found = session.execute(
        select(
            TXN.c.id,
            TXN.c.device_id,
            TXN.c.type,
            TXN.c.status,
            TXN.c.amount_cents,
            TXN.c.occurred_at,
            TXN.c.employee_id,
            TXN.c.location_id,
        ).where(TXN.c.merchant_id == merchant_id, TXN.c.device_id.is_not(None), where)
    ).all()
    cash: set[str] = set()
    for part in _chunks(sorted({r.id for r in found})):
        cash.update(
            session.execute(
                select(TENDERS.c.transaction_id)
                .where(
                    TENDERS.c.merchant_id == merchant_id,
                    TENDERS.c.transaction_id.in_(part),
                    func.upper(TENDERS.c.tender_type) == "CASH",
                )
                .distinct()
            ).scalars()
        )
    grouped: dict[DeviceHourKey, list[Ticket]] = defaultdict(list)
    for r in found:
        ticket = Ticket(
            r.id, r.type, r.status, r.amount_cents, r.occurred_at, r.employee_id, r.location_id, r.id in cash
        )
        grouped[(r.device_id, hour_of(r.occurred_at))].append(ticket)
    return grouped


def _attribution(merchant_id: str, row: Any) -> dict[str, Any]:
    return {
        "merchant_id": merchant_id,
        "transaction_id": row.id,
        "device_id": row.device_id,
        "store_id": row.location_id,
        "hour": hour_of(row.occurred_at),
    }


def _upsert_hours(session: Session, merchant_id: str, rows: Sequence[DeviceHour]) -> None:
    values = [
        {"merchant_id": merchant_id, "device_id": r.device_id, "hour": r.hour}
        | {c: getattr(r, c) for c in COUNT_COLUMNS}
        for r in rows
    ]
    for part in _chunks(values):
        insert = insert_for(session)(HOURS)
        session.execute(
            insert.on_conflict_do_update(
                index_elements=["merchant_id", "device_id", "hour"],
                set_={c: insert.excluded[c] for c in COUNT_COLUMNS},
            ),
            list(part),
        )


def _chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# Rebuild ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RebuildSummary:
    merchant_id: str
    transactions: int
    unattributed: int  # transactions whose source named no device
    device_hours: int


def rebuild(db: Database, merchant_id: str) -> RebuildSummary:
    """``canary rebuild bubble``: recompute every attribution and device-hour of the merchant from the
    canonical transactions the ledger wrote; the rows equal what the live consumer holds."""
    with BUBBLE_LOCK.tenant(db, merchant_id) as session:
        return rebuild_in(session, merchant_id)


def rebuild_in(session: Session, merchant_id: str) -> RebuildSummary:
    for table in (ATTR, HOURS):
        session.execute(table.delete().where(table.c.merchant_id == merchant_id))
    attributions = [
        _attribution(merchant_id, row)
        for row in session.execute(
            select(TXN.c.id, TXN.c.device_id, TXN.c.location_id, TXN.c.occurred_at).where(
                TXN.c.merchant_id == merchant_id
            )
        )
    ]
    for part in _chunks(attributions):
        session.execute(ATTR.insert(), list(part))
    grouped = _tickets(session, merchant_id, TXN.c.device_id.is_not(None))
    rows = [device_hour(device, hour, tickets) for (device, hour), tickets in sorted(grouped.items())]
    _upsert_hours(session, merchant_id, [r for r in rows if r is not None])
    unattributed = sum(1 for a in attributions if a["device_id"] is None)
    return RebuildSummary(merchant_id, len(attributions), unattributed, len(rows))


def snapshot(db: Database, merchant_id: str) -> dict[str, list[tuple[Any, ...]]]:
    """The rows a rebuild must reproduce, in a stable order."""
    with db.tenant(merchant_id) as session:
        attributions = session.execute(
            select(*(c for c in ATTR.c if c.name != "merchant_id"))
            .where(ATTR.c.merchant_id == merchant_id)
            .order_by(ATTR.c.transaction_id)
        ).all()
        hours = session.execute(
            select(*(c for c in HOURS.c if c.name != "merchant_id"))
            .where(HOURS.c.merchant_id == merchant_id)
            .order_by(HOURS.c.device_id, HOURS.c.hour)
        ).all()
    return {"attributions": [tuple(r) for r in attributions], "device_hours": [tuple(r) for r in hours]}
