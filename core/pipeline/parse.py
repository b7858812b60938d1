"""Parse: sealed events become canonical rows, and parsed events go to ``canary:detection``.

Per batch, one transaction writes the canonical upserts and one ``ingestion_log`` row per event
(parsed / ignored with why / failed with the error and the field); a batch spanning merchants binds
each in turn (sorted), and if any of it fails it is parsed again merchant by merchant, each in its
own transaction. A failure is recorded and
sealed evidence is never dropped; ``canary replay`` re-runs this stage after a parser fix. Parsed
events are published after the commit; a crash in between means a redelivery re-parses (the upserts
are idempotent) and re-publishes, and consumers de-duplicate on (merchant, seq).

A batch is parsed in Python first (``parse_plan.parse_event``), then written with one executemany per record
shape (``write_plans``) and one insert of the new log rows, and its parsed events are published
in one round trip. If the database refuses the batch write, nothing of it is kept and the batch is
written again event by event, each under a savepoint, so only the event at fault is ``failed``.
A replay whose parse of a seq no longer names an entity its last reading published deletes that
entity's canonical rows and publishes a retraction ahead of the seq's new events
(core/pipeline/retraction.py).
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from core.bus.port import PARSED_EVENTS, Message, StreamBus
from core.clock import Clock
from core.db.engine import hold_sqlite_transaction, is_transient
from core.db.tables.documents import DocumentRow
from core.db.tables.ledger import EvidenceRecord, InboxEntry
from core.db.tables.tenants import Location, Merchant
from core.db.uow import Database
from core.domain.parsing import ParseContext, ParsedEvent
from core.pipeline import retraction
from core.pipeline.ingestion_log import previous, record_outcomes
from core.pipeline.parse_plan import BatchDocuments, EventResult, failed, parse_event, raw_event
from core.security.crypto import contact_hmac
from core.security.keyring import MerchantKeyring
from core.storage.canonical_writer import write_plans

log = logging.getLogger(__name__)

# Given a session and a merchant, the vendor API client used to enrich events (or None).
FetcherFactory = Callable[[Session, str, str], Any]


@dataclass(frozen=True)
class ParseSummary:
    parsed: int = 0
    ignored: int = 0
    failed: int = 0


@dataclass(frozen=True)
class _Parsed:
    """One merchant's part of a batch, written; what publishing it after the commit needs."""

    merchant_id: str
    rows: Sequence[Any]
    results: Sequence[EventResult]
    gone: Any
    removed: Any


class ParseStage:
    name = "parse"
    stream = "sealed"
    group = "parse"

    def __init__(
        self,
        db: Database,
        bus: StreamBus,
        keyring: MerchantKeyring,
        clock: Clock,
        fetcher_factory: FetcherFactory | None = None,
    ) -> None:
        self._db, self._bus, self._keyring, self._clock = db, bus, keyring, clock
        self._fetcher_factory = fetcher_factory

    def handle(self, batch: Sequence[Message]) -> None:
        by_merchant: dict[str, list[int]] = defaultdict(list)
        for message in batch:
            by_merchant[message.fields["merchant_id"]].append(int(message.fields["seq"]))
        if len(by_merchant) > 1:
            try:
                self.parse_merchants(by_merchant)
                return
            except Exception as exc:
                if is_transient(exc):  # the database, not an event: the runner retries the batch
                    raise
                # Nothing of the batch committed: merchant by merchant, so the others' commits stand.
                log.info("batch parse failed; parsing merchant by merchant", exc_info=True)
        errors = []
        for merchant_id, seqs in by_merchant.items():
            try:
                self.parse_seqs(merchant_id, seqs)
            except Exception as exc:
                if is_transient(exc):
                    raise
                errors.append(exc)  # the other merchants still parse; the runner retries this one
        if errors:
            raise errors[0]

    def parse_seqs(self, merchant_id: str, seqs: Sequence[int]) -> ParseSummary:
        with self._db.tenant(merchant_id) as session:
            parsed = self._parse_in(session, merchant_id, seqs)
        return self._publish([parsed])

    def parse_merchants(self, by_merchant: dict[str, list[int]]) -> ParseSummary:
        """``parse_seqs`` for several merchants in one transaction (one commit instead of one each):
        each merchant bound in turn, sorted, so the counts locks are taken in one order."""
        done = []
        with self._db.tenants() as (session, bind):
            for merchant_id in sorted(by_merchant):
                bind(merchant_id)
                done.append(self._parse_in(session, merchant_id, by_merchant[merchant_id]))
                session.flush()  # anything added through the ORM, under its own tenant binding
        return self._publish(done)

    def _publish(self, done: Sequence[_Parsed]) -> ParseSummary:
        """After the commit: each merchant's retractions and parsed events, in event order, all in
        one round trip."""
        by_merchant = []
        counts: Counter[str] = Counter()
        for parsed in done:
            sources = {row.seq: (row.source, row.source_type) for row in parsed.rows}
            retracted = retraction.retractions(parsed.merchant_id, parsed.gone, parsed.removed, sources)
            events = [e for r in parsed.results for e in (*retracted.get(r.seq, ()), *r.events)]
            by_merchant.append((parsed.merchant_id, events))
            counts.update(r.status for r in parsed.results)
        publish_parsed(self._bus, by_merchant)
        return ParseSummary(parsed=counts["parsed"], ignored=counts["ignored"], failed=counts["failed"])

    def _parse_in(self, session: Session, merchant_id: str, seqs: Sequence[int]) -> _Parsed:
        """One merchant's part of a batch, in the caller's transaction with the merchant bound."""
        rows = self._sealed(session, merchant_id, seqs)
        ctx, documents = self._context(session, merchant_id)
        data_key = self._keyring.get(session, merchant_id, "data")

        def parse_rows(found: Sequence[Any]) -> list[EventResult]:
            return [
                parse_event(row.seq, raw_event(data_key, merchant_id, row), ctx, documents) for row in found
            ]

        def reparse(others: Sequence[int]) -> list[EventResult]:
            return parse_rows(self._sealed(session, merchant_id, others))

        # Parse everything first (no writes), then write the batch in a few statements.
        results = parse_rows(rows)
        hold_sqlite_transaction(session)  # the writes below and their log rows commit together
        before = previous(session, merchant_id, [r.seq for r in results])
        # A re-parse that no longer names an entity its seq's last reading published: that
        # entity's canonical rows go first, so an older version replayed in this batch returns;
        # one another seq also writes is then put back from that seq's parse (``restore``).
        gone = retraction.dropped(before, results)
        removed_now = retraction.remove_canonical(session, merchant_id, list(gone), results)
        readings, removed = retraction.readings(before, results, gone, removed_now)
        if not self._write_batch(session, merchant_id, results):
            results = self._write_one_by_one(session, merchant_id, results, ctx, documents)
        if removed_now:
            retraction.restore(session, merchant_id, gone, removed_now, results, reparse)
        record_outcomes(session, merchant_id, results, self._clock.now(), before, readings)
        return _Parsed(merchant_id, rows, results, gone, removed)

    def _sealed(self, session: Session, merchant_id: str, seqs: Sequence[int]) -> Sequence[Any]:
        """The sealed events ``seqs``, with their inbox payloads, in seq order."""
        return session.execute(
            sa_select(  # columns, not entities: loading thousands of ORM objects costs more
                col(EvidenceRecord.seq),
                col(EvidenceRecord.source),
                col(EvidenceRecord.source_type),
                col(EvidenceRecord.source_event_id),
                col(EvidenceRecord.event_type),
                col(EvidenceRecord.received_at),
                col(InboxEntry.id).label("inbox_id"),
                col(InboxEntry.payload),
                col(InboxEntry.api_version),
            )
            .join(
                InboxEntry,
                (col(InboxEntry.merchant_id) == EvidenceRecord.merchant_id)
                & (col(InboxEntry.id) == EvidenceRecord.inbox_id),
            )
            .where(
                col(EvidenceRecord.merchant_id) == merchant_id,
                col(EvidenceRecord.seq).in_(list(set(seqs))),
            )
            .order_by(col(EvidenceRecord.seq))
        ).all()

    def _write_batch(self, session: Session, merchant_id: str, results: Sequence[EventResult]) -> bool:
        """Every parsed event's upserts at once, under one savepoint; False (nothing written) when
        the database refused any of them, so the caller can find out which event it was."""
        parsed = [r for r in results if r.status == "parsed"]
        try:
            with session.begin_nested():
                write_plans(session, [r.writes for r in parsed])
                if any(r.revokes for r in parsed):
                    self._revoke(session, merchant_id)
        except Exception as exc:
            if is_transient(exc):  # the database, not an event: the runner retries the batch
                raise
            log.warning(
                "batch write refused; writing event by event",
                extra={"merchant_id": merchant_id},
                exc_info=True,
            )
            return False
        return True

    def _write_one_by_one(
        self,
        session: Session,
        merchant_id: str,
        results: Sequence[EventResult],
        ctx: ParseContext,
        documents: BatchDocuments,
    ) -> list[EventResult]:
        """Each event under its own savepoint, so the one the database refuses is recorded failed
        and the others still commit. An event that resolved a document from the batch is parsed
        again: the document's event may be the one refused."""
        documents.forget()
        done = []
        for result in results:
            if result.status == "parsed":
                result = self._write_one(session, merchant_id, result, ctx, documents)
            done.append(result)
        return done

    def _write_one(
        self,
        session: Session,
        merchant_id: str,
        result: EventResult,
        ctx: ParseContext,
        documents: BatchDocuments,
    ) -> EventResult:
        try:
            with session.begin_nested():
                if result.used_batch_documents:
                    result = parse_event(result.seq, result.event, ctx, documents)
                    documents.forget()
                if result.status == "parsed":
                    write_plans(session, [result.writes])
                    if result.revokes:
                        self._revoke(session, merchant_id)
        except Exception as exc:
            if is_transient(exc):  # a deadlock or a lost connection is not the event's failure
                raise
            log.exception("parser crashed", extra={"merchant_id": merchant_id, "seq": result.seq})
            return failed(result.seq, exc)
        return result

    def _context(self, session: Session, merchant_id: str) -> tuple[ParseContext, BatchDocuments]:
        pii_key = self._keyring.get(session, merchant_id, "pii")
        zones = dict(
            session.exec(
                select(Location.external_id, Location.timezone).where(Location.merchant_id == merchant_id)
            ).all()
        )
        fetch = self._fetcher_factory(session, merchant_id, "") if self._fetcher_factory else None

        def timezone(location_id: str) -> str:
            return zones[location_id]

        def stored_document(store_id: str, doc_id: str) -> str | None:
            return session.exec(
                select(DocumentRow.id).where(
                    DocumentRow.merchant_id == merchant_id,
                    DocumentRow.store_id == store_id,
                    DocumentRow.doc_id == doc_id,
                )
            ).first()

        documents = BatchDocuments(stored_document)
        ctx = ParseContext(
            contact_hmac=lambda kind, value: contact_hmac(pii_key, kind, value),
            fetch=fetch,
            location_timezone=timezone,
            known_store=zones.__contains__,
            resolve_document=documents.resolve,
        )
        return ctx, documents

    def _revoke(self, session: Session, merchant_id: str) -> None:
        merchant = session.get(Merchant, merchant_id)
        if merchant is not None and merchant.status != "revoked":
            merchant.status, merchant.revoked_at = "revoked", self._clock.now()
            session.add(merchant)
            log.warning(
                "merchant revoked our authorisation; ingest stops", extra={"merchant_id": merchant_id}
            )


def publish_parsed(bus: StreamBus, by_merchant: Sequence[tuple[str, Sequence[ParsedEvent]]]) -> None:
    """After the commit: each merchant's events in event order, every merchant in one round trip."""
    bus.publish_many(
        PARSED_EVENTS,
        [
            {
                "merchant_id": merchant_id,
                "seq": str(event.evidence_seq),
                "kind": event.kind,
                "event": event.model_dump_json(),
            }
            for merchant_id, events in by_merchant
            for event in events
        ],
    )


def parsed_payload(message: Message) -> ParsedEvent:
    return ParsedEvent.model_validate(json.loads(message.fields["event"]))
