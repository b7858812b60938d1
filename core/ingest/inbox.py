"""The durable half of ingress: de-duplicate, encrypt and append the raw bytes to the inbox.

``accept`` returns only after the inbox row has committed, so a 2xx always means the event survives
a crash; publishing to ``canary:events`` happens after the commit and may be lost with Redis, which
is what the sweeper is for. The event hash is computed over the exact received bytes before anything
parses them.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from anyio import to_thread
from sqlalchemy import Table, insert, text
from sqlmodel import Session, select

from core.bus.port import EVENTS, BusError, StreamBus
from core.clock import Clock
from core.db.bulk import array_param
from core.db.dialect import insert_for
from core.db.tables.ledger import DedupKey, InboxEntry
from core.db.uow import Database
from core.ingest.identifiers import storable
from core.security.crypto import encrypt_payload
from core.security.keyring import MerchantKeyring

log = logging.getLogger(__name__)
INBOX: Table = InboxEntry.__table__  # type: ignore[attr-defined]
DEDUP: Table = DedupKey.__table__  # type: ignore[attr-defined]
CHUNK = 500  # events per statement: well under both databases' limits on bound parameters

# Postgres: one statement for a chunk of events, one array per column. The CTE claims each keyed
# event's (source, event id) unless a live key holds it (an expired one is taken over), and the
# insert keeps the keyless rows and those whose key was just claimed. A row whose id is already
# there was written by an earlier attempt of this very write (its COMMIT answer was lost): it is
# left as it is, and answered "accepted" like the rest.
_PG_ARRAYS = (
    "ids",
    "sources",
    "source_types",
    "event_ids",
    "event_types",
    "api_versions",
    "hashes",
    "sizes",
    "payloads",
    "keyed",
)
_PG_ACCEPT = text(
    "WITH u AS (SELECT * FROM unnest(CAST(:ids AS text[]), CAST(:sources AS text[]),"
    " CAST(:source_types AS text[]), CAST(:event_ids AS text[]), CAST(:event_types AS text[]),"
    " CAST(:api_versions AS text[]), CAST(:hashes AS bytea[]), CAST(:sizes AS int[]),"
    " CAST(:payloads AS bytea[]), CAST(:keyed AS bool[]))"
    " AS u(id, source, source_type, source_event_id, event_type, api_version, event_hash,"
    " size_bytes, payload, keyed)),"
    " claimed AS ("
    " INSERT INTO app.dedup_keys AS d (merchant_id, source, source_event_id, inbox_id, expires_at)"
    " SELECT :merchant_id, u.source, u.source_event_id, u.id, :expires_at FROM u WHERE u.keyed"
    " ON CONFLICT (merchant_id, source, source_event_id) DO UPDATE"
    " SET inbox_id = excluded.inbox_id, expires_at = excluded.expires_at WHERE d.expires_at <= :now"
    " RETURNING d.inbox_id)"
    " INSERT INTO app.inbox (merchant_id, id, source, source_type, source_event_id, event_type,"
    " api_version, event_hash, size_bytes, payload, key_version, received_at)"
    " SELECT :merchant_id, u.id, u.source, u.source_type, u.source_event_id, u.event_type,"
    " u.api_version, u.event_hash, u.size_bytes, u.payload, 1, :now FROM u"
    " WHERE NOT u.keyed OR u.id IN (SELECT inbox_id FROM claimed)"
    " ON CONFLICT (merchant_id, id) DO NOTHING"
    " RETURNING id"
)


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


class InboxIds:
    """Inbox ids that sort in the order this process accepted the events: ``<ms>-<seq>-<random>``.

    Seal orders by ``(received_at, id)`` and every event of one ``accept_many`` call shares its
    ``received_at``, so the id alone must carry the source's order (a file's lines, a poll page's
    items). The millisecond never goes backwards within a process and the sequence counts up across
    calls, so a frozen or stepped-back clock cannot reorder two events either. The random suffix keeps
    ids unique across processes, whose relative order no source defines."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = 0
        self._seq = itertools.count(1)

    def next(self, now: datetime) -> str:
        with self._lock:
            self._last_ms = max(self._last_ms, int(now.timestamp() * 1000))
            ms, seq = self._last_ms, next(self._seq)
        return f"{ms:013d}-{seq:012d}-{uuid.uuid4().hex[:12]}"


_IDS = InboxIds()


def storable_event(event: IncomingEvent) -> IncomingEvent:
    """The event with its vendor identifiers fit for their columns (``core/ingest/identifiers.py``)."""
    fitted = replace(
        event,
        source_event_id=storable(event.source_event_id, 200),
        event_type=storable(event.event_type, 100),
        api_version=storable(event.api_version, 32),
    )
    return event if fitted == event else fitted


def new_inbox_id(now: datetime) -> str:
    return _IDS.next(now)


class Inbox:
    def __init__(
        self, db: Database, bus: StreamBus, keyring: MerchantKeyring, clock: Clock, *, dedup_hours: int
    ) -> None:
        self._db, self._bus, self._keyring, self._clock = db, bus, keyring, clock
        self._window = timedelta(hours=dedup_hours)

    def accept(self, event: IncomingEvent) -> Acceptance:
        """Durably record one event (or recognise a duplicate), then publish it for sealing."""
        return self.accept_many([event])[0]

    async def accept_async(self, event: IncomingEvent) -> Acceptance:
        """``accept`` from a coroutine: here on a worker thread; the group-commit inbox
        (``core/ingest/group_commit.py``) queues it without one."""
        return await to_thread.run_sync(self.accept, event)

    def accept_many(self, events: list[IncomingEvent], ids: list[str] | None = None) -> list[Acceptance]:
        """One transaction per merchant for a batch of events (batch imports, polling, and the
        ingress's group commit), written with a few set-based statements rather than two round
        trips per event; the answers are those of accepting the events one by one in order.

        ``ids`` gives the inbox ids to write the events under (one per event, from ``new_inbox_id``).
        Writing again with the same ids after a failure that may have committed anyway (a connection
        lost during COMMIT) answers "accepted", not "duplicate", for the events that did commit:
        the id their dedup key holds is the one this write meant to give them."""
        events = [storable_event(e) for e in events]
        if ids is not None and len(ids) != len(events):
            raise ValueError("one inbox id per event")
        results: dict[int, Acceptance] = {}
        by_merchant: dict[str, list[int]] = {}
        for index, event in enumerate(events):
            by_merchant.setdefault(event.merchant_id, []).append(index)
        for merchant_id, indexes in by_merchant.items():
            with self._db.tenant(merchant_id) as session:
                for start in range(0, len(indexes), CHUNK):
                    chunk = indexes[start : start + CHUNK]
                    answers = self._append_many(
                        session,
                        merchant_id,
                        [events[i] for i in chunk],
                        [ids[i] for i in chunk] if ids else None,
                    )
                    results.update(zip(chunk, answers, strict=True))
            self._publish(merchant_id, [results[i] for i in indexes if results[i].status == "accepted"])
        return [results[i] for i in range(len(events))]

    def accept_merchants(
        self, batches: dict[str, tuple[list[IncomingEvent], list[str]]]
    ) -> dict[str, list[Acceptance]]:
        """Several merchants' events, each under the inbox ids given for it, in one transaction
        (``Database.tenants``: each merchant's statements under its own tenant binding), then each
        merchant's accepted events published. The answers are ``accept_many``'s for each merchant;
        if this raises, nothing of it committed unless the COMMIT's answer was lost, and
        ``accept_many`` with the same ids answers those events "accepted"."""
        out: dict[str, list[Acceptance]] = {}
        with self._db.tenants() as (session, bind):
            for merchant_id, (events, ids) in batches.items():
                fitted = [storable_event(e) for e in events]
                if any(e.merchant_id != merchant_id for e in fitted) or len(ids) != len(fitted):
                    raise ValueError("each batch: its merchant's events, one inbox id each")
                bind(merchant_id)
                answers: list[Acceptance] = []
                for start in range(0, len(fitted), CHUNK):
                    answers += self._append_many(
                        session, merchant_id, fitted[start : start + CHUNK], ids[start : start + CHUNK]
                    )
                out[merchant_id] = answers
        self._publish_all([(m, [a for a in answers if a.status == "accepted"]) for m, answers in out.items()])
        return out

    def _publish(self, merchant_id: str, accepted: list[Acceptance]) -> None:
        self._publish_all([(merchant_id, accepted)])

    def _publish_all(self, accepted: list[tuple[str, list[Acceptance]]]) -> None:
        """After the commit the events are safe; a bus that is down must not turn that into an error
        (a retry would then be answered "duplicate"). The sweeper re-publishes what is not sealed."""
        try:  # each merchant's in acceptance order, every merchant in one round trip
            self._bus.publish_many(
                EVENTS,
                [{"merchant_id": m, "inbox_id": a.inbox_id} for m, answers in accepted for a in answers],
            )
        except BusError as exc:
            log.warning(
                "accepted events not published; the sweeper will re-publish them",
                extra={"merchant_id": ",".join(sorted({m for m, _ in accepted})), "error": str(exc)},
            )

    def _append_many(
        self, session: Session, merchant_id: str, events: list[IncomingEvent], given: list[str] | None
    ) -> list[Acceptance]:
        if self._db.is_postgres:
            return self._append_many_pg(session, merchant_id, events, given)
        now = self._clock.now()
        if given:
            # An earlier attempt of this very write committed these (its answer was lost with the
            # connection): they were accepted then, and nothing is written or claimed again.
            done = self._existing(session, merchant_id, given)
            if done:
                rest = [n for n, inbox_id in enumerate(given) if inbox_id not in done]
                answers = (
                    self._append_many(
                        session, merchant_id, [events[n] for n in rest], [given[n] for n in rest]
                    )
                    if rest
                    else []
                )
                by_index = dict(zip(rest, answers, strict=True))
                return [
                    by_index[n]
                    if n in by_index
                    else Acceptance("accepted", given[n], hashlib.sha256(events[n].raw).hexdigest())
                    for n in range(len(events))
                ]
        hashes = [hashlib.sha256(e.raw).digest() for e in events]
        ids = given or [new_inbox_id(now) for _ in events]
        first = _first_of_each_key(events)
        claimed = self._claim_dedup_keys(session, merchant_id, {key: ids[n] for key, n in first.items()}, now)
        owners = self._dedup_owners(session, merchant_id, set(first) - claimed)
        answers: list[Acceptance] = []
        rows = []
        data_key = self._keyring.get(session, merchant_id, "data") if events else b""
        for n, event in enumerate(events):
            key = (event.source, event.source_event_id) if event.source_event_id else None
            if key is not None and (first[key] != n or key not in claimed):
                owner = ids[first[key]] if key in claimed else owners[key]
                answers.append(Acceptance("duplicate", owner, hashes[n].hex()))
                continue
            rows.append(
                {
                    "merchant_id": merchant_id,
                    "id": ids[n],
                    "source": event.source,
                    "source_type": event.source_type,
                    "source_event_id": event.source_event_id,
                    "event_type": event.event_type,
                    "api_version": event.api_version,
                    "event_hash": hashes[n],
                    "size_bytes": len(event.raw),
                    "payload": encrypt_payload(data_key, event.raw, merchant_id=merchant_id, inbox_id=ids[n]),
                    "key_version": 1,
                    "received_at": now,
                    "sealed_seq": None,
                    "sealed_at": None,
                    "erased_at": None,
                }
            )
            answers.append(Acceptance("accepted", ids[n], hashes[n].hex()))
        if rows:
            session.execute(insert(INBOX), rows)
        return answers

    def _append_many_pg(
        self, session: Session, merchant_id: str, events: list[IncomingEvent], given: list[str] | None
    ) -> list[Acceptance]:
        """The same answers as the portable path below, in one statement of fixed text (``_PG_ACCEPT``:
        claim the dedup keys, insert the rows whose key was claimed or that have none), which the
        driver prepares once per connection. The portable path compiled a fresh multi-row statement
        per call and looked up given ids first: a fifth of the ingress's CPU, and two round trips."""
        now = self._clock.now()
        hashes = [hashlib.sha256(e.raw).digest() for e in events]
        ids = given or [new_inbox_id(now) for _ in events]
        first = _first_of_each_key(events)
        # The rows that may be written: every keyless event, and the first event of each key.
        candidates = [
            n
            for n, e in enumerate(events)
            if not e.source_event_id or first[(e.source, e.source_event_id)] == n
        ]
        data_key = self._keyring.get(session, merchant_id, "data") if candidates else b""
        columns: dict[str, list[Any]] = {name: [] for name in _PG_ARRAYS}
        for n in candidates:
            event = events[n]
            columns["ids"].append(ids[n])
            columns["sources"].append(event.source)
            columns["source_types"].append(event.source_type)
            columns["event_ids"].append(event.source_event_id or None)
            columns["event_types"].append(event.event_type)
            columns["api_versions"].append(event.api_version)
            columns["hashes"].append(hashes[n])
            columns["sizes"].append(len(event.raw))
            columns["payloads"].append(
                encrypt_payload(data_key, event.raw, merchant_id=merchant_id, inbox_id=ids[n])
            )
            columns["keyed"].append(bool(event.source_event_id))
        written: set[str] = set()
        if candidates:
            rows = session.execute(
                _PG_ACCEPT,
                {
                    **{name: array_param(values) for name, values in columns.items()},
                    "merchant_id": merchant_id,
                    "now": now,
                    "expires_at": now + self._window,
                },
            )
            written = {row[0] for row in rows}
        unclaimed = {key for key, n in first.items() if ids[n] not in written}
        owners = self._dedup_owners(session, merchant_id, unclaimed)
        answers: list[Acceptance] = []
        for n, event in enumerate(events):
            if not event.source_event_id:
                # Written now, or (a retry of a write whose answer was lost) by the earlier attempt.
                answers.append(Acceptance("accepted", ids[n], hashes[n].hex()))
                continue
            key = (event.source, event.source_event_id)
            owner = ids[first[key]] if key not in unclaimed else owners[key]
            if first[key] == n and owner == ids[n]:
                answers.append(Acceptance("accepted", ids[n], hashes[n].hex()))
            else:
                answers.append(Acceptance("duplicate", owner, hashes[n].hex()))
        return answers

    def _existing(self, session: Session, merchant_id: str, ids: list[str]) -> set[str]:
        rows = session.execute(
            select(INBOX.c.id).where(INBOX.c.merchant_id == merchant_id, INBOX.c.id.in_(ids))
        )
        return {row[0] for row in rows}

    def _claim_dedup_keys(
        self, session: Session, merchant_id: str, wanted: dict[tuple[str, str], str], now: datetime
    ) -> set[tuple[str, str]]:
        """Take each (source, event id) key unless a live one holds it; returns the keys taken. An
        expired key is taken over: past the window a vendor no longer retries, so a repeat is a new
        delivery."""
        if not wanted:
            return set()
        upsert = insert_for(session)(DEDUP).values(
            [
                {
                    "merchant_id": merchant_id,
                    "source": source,
                    "source_event_id": event_id,
                    "inbox_id": inbox_id,
                    "expires_at": now + self._window,
                }
                for (source, event_id), inbox_id in wanted.items()
            ]
        )
        claim = upsert.on_conflict_do_update(
            index_elements=["merchant_id", "source", "source_event_id"],
            set_={"inbox_id": upsert.excluded.inbox_id, "expires_at": upsert.excluded.expires_at},
            where=DEDUP.c.expires_at <= now,
        ).returning(DEDUP.c.source, DEDUP.c.source_event_id)
        # RETURNING, not rowcount: drivers report -1 for some upserts; a returned row is exact.
        return {(row[0], row[1]) for row in session.execute(claim)}

    def _dedup_owners(
        self, session: Session, merchant_id: str, keys: set[tuple[str, str]]
    ) -> dict[tuple[str, str], str]:
        if not keys:
            return {}
        rows = session.execute(
            select(DEDUP.c.source, DEDUP.c.source_event_id, DEDUP.c.inbox_id).where(
                DEDUP.c.merchant_id == merchant_id,
                DEDUP.c.source_event_id.in_(sorted({event_id for _source, event_id in keys})),
            )
        )
        return {(r[0], r[1]): r[2] for r in rows if (r[0], r[1]) in keys}


def _first_of_each_key(events: Sequence[IncomingEvent]) -> dict[tuple[str, str], int]:
    """The first event of the batch with each vendor id: the one that may claim it; later ones are
    duplicates of it, exactly as if they had arrived one after another."""
    first: dict[tuple[str, str], int] = {}
    for n, event in enumerate(events):
        if event.source_event_id:
            first.setdefault((event.source, event.source_event_id), n)
    return first
