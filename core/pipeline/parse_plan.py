"""One sealed event through its parser, with no database writes: what the parse stage will record.

The parse stage parses a whole batch first and then writes it with a few statements; this is the
first half. An event's result carries its ``ingestion_log`` verdict, the upserts it needs (planned
exactly as ``write_records`` would run them) and the parsed events to publish once they commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from core.adapters.registry import parse
from core.db.engine import is_transient
from core.domain.documents import Document
from core.domain.parsing import Ignored, ParseContext, ParsedEvent, ParseError, RawEvent
from core.domain.records import Canonical
from core.security.crypto import decrypt_payload
from core.storage.canonical_writer import UpsertGroup, plan_records
from core.workers.runner import describe

log = logging.getLogger(__name__)

ERASED = "payload erased (right to be forgotten or key destroyed)"


@dataclass(frozen=True)
class EventResult:
    seq: int
    status: str  # parsed | ignored | failed
    reason: str | None = None
    field: str | None = None
    records: int = 0
    events: Sequence[ParsedEvent] = ()
    writes: Sequence[UpsertGroup] = ()
    revokes: bool = False  # the vendor told us the merchant revoked our authorisation
    event: RawEvent | None = None  # kept so the event-by-event fallback can parse it again
    used_batch_documents: bool = False  # the parse saw a document only this batch has written


def failed(seq: int, exc: Exception, event: RawEvent | None = None) -> EventResult:
    """The verdict for an exception from a parser or a write, worded as the log has always had it."""
    if isinstance(exc, ParseError):
        return EventResult(seq, "failed", str(exc), exc.field, event=event)
    return EventResult(seq, "failed", describe(exc), event=event)  # class + short, payload-free text


class BatchDocuments:
    """``ParseContext.resolve_document`` for a batch parsed before any of it is written.

    Written one by one, a Counterpoint return finds the original sale an earlier event of the same
    batch stored; here that sale is not in the database yet, so the documents parsed so far answer
    when the database does not."""

    def __init__(self, lookup: Callable[[str, str], str | None]) -> None:
        self._lookup = lookup
        self._pending: dict[tuple[str, str], str] = {}
        self.used = False  # set whenever an answer came from the batch rather than the database

    def resolve(self, store_id: str, doc_id: str) -> str | None:
        found = self._lookup(store_id, doc_id)
        if found is None and (store_id, doc_id) in self._pending:
            self.used = True
            return self._pending[(store_id, doc_id)]
        return found

    def add(self, records: Iterable[Canonical]) -> None:
        for record in records:
            if isinstance(record, Document) and record.doc_id is not None:
                self._pending.setdefault((record.store_id, record.doc_id), record.id)

    def forget(self) -> None:
        """Answer from the database alone (the fallback writes each event before parsing the next)."""
        self._pending.clear()


class SealedRow(Protocol):
    """The columns of a sealed event (evidence record joined to its inbox entry) a parse reads."""

    seq: int
    source: str
    source_type: str
    source_event_id: str | None
    event_type: str | None
    received_at: datetime
    inbox_id: str
    payload: bytes | None
    api_version: str | None


def raw_event(data_key: bytes, merchant_id: str, sealed: SealedRow) -> RawEvent | None:
    """The sealed event decrypted, or None when its payload has been erased."""
    if sealed.payload is None:
        return None
    raw = decrypt_payload(data_key, sealed.payload, merchant_id=merchant_id, inbox_id=sealed.inbox_id)
    return RawEvent(
        merchant_id=merchant_id,
        seq=sealed.seq,
        source=sealed.source,
        source_type=sealed.source_type,
        source_event_id=sealed.source_event_id,
        event_type=sealed.event_type,
        raw=raw,
        received_at=sealed.received_at,
        api_version=sealed.api_version,
    )


def parse_event(
    seq: int, event: RawEvent | None, ctx: ParseContext, documents: BatchDocuments
) -> EventResult:
    if event is None:
        return EventResult(seq, "ignored", ERASED)
    documents.used = False
    try:
        outcome = parse(event, ctx)
        if isinstance(outcome, Ignored):
            return EventResult(seq, "ignored", outcome.reason, event=event)
        writes = plan_records(event.merchant_id, seq, outcome.records)
    except ParseError as exc:
        return failed(seq, exc, event)
    except Exception as exc:
        if is_transient(exc):  # a look-up the parse made (a stored document) lost the database
            raise
        log.exception("parser crashed", extra={"merchant_id": event.merchant_id, "seq": seq})
        return failed(seq, exc, event)
    documents.add(outcome.records)
    return EventResult(
        seq,
        "parsed",
        records=sum(len(group.rows) for group in writes),
        events=list(outcome.events),
        writes=writes,
        revokes=outcome.merchant_status == "revoked",
        event=event,
        used_batch_documents=documents.used,
    )
