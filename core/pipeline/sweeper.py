"""Re-publishes what the bus lost: from the inbox and the evidence chain, never from the bus.

The inbox and the ledger are durable and the bus may not be (a Redis restart without persistence,
FLUSHALL, a trimmed stream, a crash between commit and publish). Each sweep publishes again:
- inbox rows accepted but not sealed, to ``canary:events`` (seal skips what is sealed already);
- sealed events that parse never recorded (no ``ingestion_log`` row), to ``canary:sealed``.
Both only once older than the grace period, so an event that is merely slow is not sent twice.

``bus_lost`` notices a bus that lost its data while this process runs: the sweeper keeps a consumer
group of its own on the ``epoch`` stream, and finding it gone means every stream and group went with
it. The workers re-create their groups by themselves (``core/workers/runner.py``); the sweep that
follows skips the grace period and also re-publishes, to parse again, the events parsed within the
last ``recovery_window`` that a ``canary:detection`` consumer has not recorded in
``processed_messages``: their detection messages may have been lost before it read them (parse and
the consumers are idempotent, so one that had arrived changes nothing).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlmodel import Session, col, select

from core.bus.port import EVENTS, SEALED, BusError, StreamBus
from core.clock import Clock
from core.db.tables.ledger import EvidenceRecord, InboxEntry, IngestionLogEntry, ProcessedMessage
from core.db.uow import Database

log = logging.getLogger(__name__)
EPOCH_STREAM, EPOCH_GROUP = "epoch", "sweeper"


def merchant_ids(db: Database) -> list[str]:
    """Every merchant id: through the SECURITY DEFINER function on Postgres (RLS hides the rows)."""
    with db.system() as session:
        if db.is_postgres:
            return list(session.execute(text("SELECT app.merchant_ids()")).scalars())
        return list(session.execute(text("SELECT id FROM merchants ORDER BY id")).scalars())


@dataclass(frozen=True)
class SweepResult:
    unsealed: int = 0
    unparsed: int = 0
    reparsed: int = 0


class InboxSweeper:
    def __init__(
        self,
        db: Database,
        bus: StreamBus,
        clock: Clock,
        *,
        grace_seconds: int,
        limit: int = 10_000,
        recovery_window: timedelta = timedelta(hours=1),
    ) -> None:
        self._db, self._bus, self._clock = db, bus, clock
        self._grace = timedelta(seconds=grace_seconds)
        self._limit, self._window = limit, recovery_window
        self._epoch_seen = False
        self.last = SweepResult()

    def bus_lost(self) -> bool:
        """True when the bus lost its streams and groups since this process first looked."""
        created = self._bus.ensure_group(EPOCH_STREAM, EPOCH_GROUP)
        lost, self._epoch_seen = created and self._epoch_seen, True
        if lost:
            log.error("the bus lost its streams and consumer groups; re-publishing unfinished work")
        return lost

    def sweep(self, *, recover: bool = False, consumers: Sequence[str] = ()) -> int:
        """Re-publish unfinished work; ``recover`` (after a bus loss) ignores the grace period and
        re-publishes recent parses that one of the detection ``consumers`` has not applied. Returns
        how many messages were published."""
        now = self._clock.now()
        cutoff = now - (timedelta(0) if recover else self._grace)
        total = SweepResult()
        for merchant_id in merchant_ids(self._db):
            with self._db.tenant(merchant_id) as session:
                unsealed = self._unsealed(session, merchant_id, cutoff)
                unparsed = self._unparsed(session, merchant_id, cutoff)
                recent = (
                    self._unconsumed(session, merchant_id, consumers, now - self._window) if recover else []
                )
            for inbox_id in unsealed:
                self._bus.publish(EVENTS, {"merchant_id": merchant_id, "inbox_id": inbox_id})
            for seq in sorted({*unparsed, *recent}):
                self._bus.publish(SEALED, {"merchant_id": merchant_id, "seq": str(seq)})
            total = SweepResult(
                total.unsealed + len(unsealed), total.unparsed + len(unparsed), total.reparsed + len(recent)
            )
        self.last = total
        return total.unsealed + total.unparsed + total.reparsed

    def _unsealed(self, session: Session, merchant_id: str, cutoff: datetime) -> list[str]:
        return list(
            session.exec(
                select(InboxEntry.id)
                .where(
                    InboxEntry.merchant_id == merchant_id,
                    col(InboxEntry.sealed_seq).is_(None),
                    col(InboxEntry.received_at) <= cutoff,
                )
                .order_by(col(InboxEntry.received_at))
                .limit(self._limit)
            ).all()
        )

    def _unparsed(self, session: Session, merchant_id: str, cutoff: datetime) -> list[int]:
        """Sealed events with no ``ingestion_log`` row: parse never finished them (a failure is
        recorded as ``failed``, so this is only work the bus lost)."""
        logged = (
            select(IngestionLogEntry.seq)
            .where(
                IngestionLogEntry.merchant_id == merchant_id,
                IngestionLogEntry.seq == EvidenceRecord.seq,
            )
            .exists()
        )
        return list(
            session.exec(
                select(EvidenceRecord.seq)
                .where(
                    EvidenceRecord.merchant_id == merchant_id,
                    col(EvidenceRecord.sealed_at) <= cutoff,
                    ~logged,
                )
                .order_by(col(EvidenceRecord.seq))
                .limit(self._limit)
            ).all()
        )

    def _unconsumed(
        self, session: Session, merchant_id: str, consumers: Sequence[str], since: datetime
    ) -> list[int]:
        """Seqs parsed since ``since`` that some consumer has no ``processed_messages`` key for (its
        keys begin ``<seq>:``). An event whose parse published nothing is included too: parsing it
        again is harmless, and this runs only after a bus loss."""
        if not consumers:
            return []
        parsed = set(
            session.exec(
                select(IngestionLogEntry.seq)
                .where(
                    IngestionLogEntry.merchant_id == merchant_id,
                    IngestionLogEntry.status == "parsed",
                    col(IngestionLogEntry.updated_at) >= since,
                )
                .order_by(col(IngestionLogEntry.seq).desc())
                .limit(self._limit)
            ).all()
        )
        missing: set[int] = set()
        for consumer in consumers:
            keys = session.exec(
                select(ProcessedMessage.message_key).where(
                    ProcessedMessage.merchant_id == merchant_id,
                    ProcessedMessage.consumer == consumer,
                    col(ProcessedMessage.processed_at) >= since,
                )
            ).all()
            done = {int(k.split(":", 1)[0]) for k in keys if k.split(":", 1)[0].isdigit()}
            missing |= parsed - done
        return sorted(missing)


def safe_bus_lost(sweeper: InboxSweeper) -> bool:
    """``bus_lost`` for a loop that must survive the bus being unreachable."""
    try:
        return sweeper.bus_lost()
    except BusError as exc:
        log.warning("bus unreachable; the sweeper retries", extra={"error": str(exc)})
        return False
