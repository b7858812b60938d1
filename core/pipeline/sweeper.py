"""Re-publishes inbox rows that were accepted but never sealed.

The inbox is durable and the bus may not be (a Redis restart, FLUSHALL, a trimmed stream, a crash
between commit and publish). Anything older than the grace period and still unsealed is published
again; sealing is idempotent, so an event that was merely slow is not sealed twice.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text
from sqlmodel import col, select

from core.bus.port import EVENTS, StreamBus
from core.clock import Clock
from core.db.tables.ledger import InboxEntry
from core.db.uow import Database


def merchant_ids(db: Database) -> list[str]:
    """Every merchant id: through the SECURITY DEFINER function on Postgres (RLS hides the rows)."""
    with db.system() as session:
        if db.is_postgres:
            return list(session.execute(text("SELECT app.merchant_ids()")).scalars())
        return list(session.execute(text("SELECT id FROM merchants ORDER BY id")).scalars())


class InboxSweeper:
    def __init__(
        self, db: Database, bus: StreamBus, clock: Clock, *, grace_seconds: int, limit: int = 10_000
    ) -> None:
        self._db, self._bus, self._clock = db, bus, clock
        self._grace = timedelta(seconds=grace_seconds)
        self._limit = limit

    def sweep(self) -> int:
        cutoff = self._clock.now() - self._grace
        republished = 0
        for merchant_id in merchant_ids(self._db):
            with self._db.tenant(merchant_id) as session:
                ids = session.exec(
                    select(InboxEntry.id)
                    .where(
                        InboxEntry.merchant_id == merchant_id,
                        col(InboxEntry.sealed_seq).is_(None),
                        col(InboxEntry.received_at) <= cutoff,
                    )
                    .order_by(col(InboxEntry.received_at))
                    .limit(self._limit)
                ).all()
            for inbox_id in ids:
                self._bus.publish(EVENTS, {"merchant_id": merchant_id, "inbox_id": inbox_id})
            republished += len(ids)
        return republished
