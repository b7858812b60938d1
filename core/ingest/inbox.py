"""The durable half of ingress: de-duplicate, encrypt and append the raw bytes to the inbox.

``accept`` returns only after the inbox row has committed, so a 2xx always means the event survives
a crash; publishing to ``canary:events`` happens after the commit and may be lost with Redis, which
is what the sweeper is for. The event hash is computed over the exact received bytes before anything
parses them.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from core.bus.port import EVENTS, StreamBus
from core.clock import Clock
from core.db.tables.ledger import DedupKey, InboxEntry
from core.db.uow import Database
from core.security.crypto import encrypt_payload
from core.security.keyring import MerchantKeyring


@dataclass(frozen=True)
class IncomingEvent:
    merchant_id: str
    source: str
    source_type: str
    raw: bytes
    source_event_id: str | None = None
    event_type: str | None = None
    api_version: str | None = None


@dataclass(frozen=True)
class Acceptance:
    status: Literal["accepted", "duplicate"]
    inbox_id: str
    event_hash: str


def new_inbox_id(now: datetime) -> str:
    # Time-prefixed so ids sort roughly by arrival, random suffix for uniqueness across processes.
    return f"{int(now.timestamp() * 1000):013d}-{uuid.uuid4().hex[:16]}"


class Inbox:
    def __init__(
        self, db: Database, bus: StreamBus, keyring: MerchantKeyring, clock: Clock, *, dedup_hours: int
    ) -> None:
        self._db, self._bus, self._keyring, self._clock = db, bus, keyring, clock
        self._window = timedelta(hours=dedup_hours)

    def accept(self, event: IncomingEvent) -> Acceptance:
        """Durably record one event (or recognise a duplicate), then publish it for sealing."""
        return self.accept_many([event])[0]

    def accept_many(self, events: list[IncomingEvent]) -> list[Acceptance]:
        """One transaction per merchant for a batch of events (batch imports and polling)."""
        results: dict[int, Acceptance] = {}
        by_merchant: dict[str, list[int]] = {}
        for index, event in enumerate(events):
            by_merchant.setdefault(event.merchant_id, []).append(index)
        for merchant_id, indexes in by_merchant.items():
            with self._db.tenant(merchant_id) as session:
                for index in indexes:
                    results[index] = self._append(session, events[index])
            for index in indexes:
                if results[index].status == "accepted":
                    self._bus.publish(
                        EVENTS, {"merchant_id": merchant_id, "inbox_id": results[index].inbox_id}
                    )
        return [results[i] for i in range(len(events))]

    def _append(self, session: Session, event: IncomingEvent) -> Acceptance:
        now = self._clock.now()
        event_hash = hashlib.sha256(event.raw).digest()
        inbox_id = new_inbox_id(now)
        if event.source_event_id and not self._claim_dedup_key(session, event, inbox_id, now):
            return Acceptance("duplicate", self._dedup_owner(session, event), event_hash.hex())
        data_key = self._keyring.get(session, event.merchant_id, "data")
        session.add(
            InboxEntry(
                merchant_id=event.merchant_id,
                id=inbox_id,
                source=event.source,
                source_type=event.source_type,
                source_event_id=event.source_event_id,
                event_type=event.event_type,
                api_version=event.api_version,
                event_hash=event_hash,
                size_bytes=len(event.raw),
                payload=encrypt_payload(
                    data_key, event.raw, merchant_id=event.merchant_id, inbox_id=inbox_id
                ),
                received_at=now,
            )
        )
        session.flush()
        return Acceptance("accepted", inbox_id, event_hash.hex())

    def _claim_dedup_key(self, session: Session, event: IncomingEvent, inbox_id: str, now: datetime) -> bool:
        """Take the (merchant, source, event id) key unless a live one holds it. An expired key is
        taken over: past the window a vendor no longer retries, so a repeat is a new delivery."""
        table = DedupKey.__table__  # type: ignore[attr-defined]
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        upsert = insert(table).values(
            merchant_id=event.merchant_id,
            source=event.source,
            source_event_id=event.source_event_id,
            inbox_id=inbox_id,
            expires_at=now + self._window,
        )
        claimed = upsert.on_conflict_do_update(
            index_elements=["merchant_id", "source", "source_event_id"],
            set_={"inbox_id": upsert.excluded.inbox_id, "expires_at": upsert.excluded.expires_at},
            where=table.c.expires_at <= now,
        ).returning(table.c.inbox_id)
        # RETURNING, not rowcount: drivers report -1 for some upserts; a returned row is exact.
        return session.execute(claimed).first() is not None

    def _dedup_owner(self, session: Session, event: IncomingEvent) -> str:
        row = session.exec(
            select(DedupKey.inbox_id).where(
                DedupKey.merchant_id == event.merchant_id,
                DedupKey.source == event.source,
                DedupKey.source_event_id == event.source_event_id,
            )
        ).one()
        return row
