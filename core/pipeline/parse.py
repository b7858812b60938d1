"""Parse: sealed events become canonical rows, and parsed events go to ``canary:detection``.

Per merchant and batch, one transaction writes the canonical upserts and one ``ingestion_log`` row per
event (parsed / ignored with why / failed with the error and the field). A failure is recorded and
sealed evidence is never dropped; ``canary replay`` re-runs this stage after a parser fix. Detection
events are published after the commit; a crash in between means a redelivery re-parses (the upserts
are idempotent) and re-publishes, and consumers de-duplicate on (merchant, seq).
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from core.adapters.registry import PARSER_VERSION, parse
from core.bus.port import DETECTION, Message, StreamBus
from core.clock import Clock
from core.db.tables.documents import DocumentRow
from core.db.tables.ledger import EvidenceRecord, InboxEntry, IngestionLogEntry
from core.db.tables.tenants import Location, Merchant
from core.db.uow import Database
from core.domain.parsing import DetectionEvent, Ignored, ParseContext, ParseError, RawEvent
from core.security.crypto import contact_hmac, decrypt_payload
from core.security.keyring import MerchantKeyring
from core.storage.canonical_writer import write_records

log = logging.getLogger(__name__)

# Given a session and a merchant, the vendor API client used to enrich events (or None).
FetcherFactory = Callable[[Session, str, str], Any]


@dataclass(frozen=True)
class ParseSummary:
    parsed: int = 0
    ignored: int = 0
    failed: int = 0


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
        for merchant_id, seqs in by_merchant.items():
            self.parse_seqs(merchant_id, seqs)

    def parse_seqs(self, merchant_id: str, seqs: Sequence[int]) -> ParseSummary:
        with self._db.tenant(merchant_id) as session:
            rows = session.exec(
                select(EvidenceRecord, InboxEntry)
                .join(
                    InboxEntry,
                    (InboxEntry.merchant_id == EvidenceRecord.merchant_id)  # type: ignore[arg-type]
                    & (InboxEntry.id == EvidenceRecord.inbox_id),
                )
                .where(
                    EvidenceRecord.merchant_id == merchant_id, col(EvidenceRecord.seq).in_(list(set(seqs)))
                )
                .order_by(col(EvidenceRecord.seq))
            ).all()
            ctx = self._context(session, merchant_id)
            logs = {
                e.seq: e
                for e in session.exec(
                    select(IngestionLogEntry).where(
                        IngestionLogEntry.merchant_id == merchant_id,
                        col(IngestionLogEntry.seq).in_([ev.seq for ev, _ in rows]),
                    )
                ).all()
            }
            counts = {"parsed": 0, "ignored": 0, "failed": 0}
            detection: list[DetectionEvent] = []
            data_key = self._keyring.get(session, merchant_id, "data")
            for evidence, inbox in rows:
                status, reason, field, records, events = self._parse_one(
                    session, ctx, data_key, evidence, inbox
                )
                counts[status] += 1
                detection.extend(events)
                self._log(
                    session, logs.get(evidence.seq), merchant_id, evidence.seq, status, reason, field, records
                )
        for event in detection:
            self._bus.publish(
                DETECTION,
                {
                    "merchant_id": merchant_id,
                    "seq": str(event.evidence_seq),
                    "kind": event.kind,
                    "event": event.model_dump_json(),
                },
            )
        return ParseSummary(**counts)

    def _parse_one(
        self,
        session: Session,
        ctx: ParseContext,
        data_key: bytes,
        evidence: EvidenceRecord,
        inbox: InboxEntry,
    ) -> tuple[str, str | None, str | None, int, list[DetectionEvent]]:
        if inbox.payload is None:
            return "ignored", "payload erased (right to be forgotten or key destroyed)", None, 0, []
        raw = decrypt_payload(data_key, inbox.payload, merchant_id=evidence.merchant_id, inbox_id=inbox.id)
        event = RawEvent(
            merchant_id=evidence.merchant_id,
            seq=evidence.seq,
            source=evidence.source,
            source_type=evidence.source_type,
            source_event_id=evidence.source_event_id,
            event_type=evidence.event_type,
            raw=raw,
            received_at=evidence.received_at,
            api_version=inbox.api_version,
        )
        try:
            with session.begin_nested():
                outcome = parse(event, ctx)
                if isinstance(outcome, Ignored):
                    return "ignored", outcome.reason, None, 0, []
                written = write_records(session, evidence.merchant_id, evidence.seq, outcome.records)
                if outcome.merchant_status == "revoked":
                    self._revoke(session, evidence.merchant_id)
        except ParseError as exc:
            return "failed", str(exc), exc.field, 0, []
        except Exception as exc:
            log.exception("parser crashed", extra={"merchant_id": evidence.merchant_id, "seq": evidence.seq})
            return "failed", f"{type(exc).__name__}: {exc}", None, 0, []
        return "parsed", None, None, written, list(outcome.detection)

    def _log(
        self,
        session: Session,
        existing: IngestionLogEntry | None,
        merchant_id: str,
        seq: int,
        status: str,
        reason: str | None,
        field: str | None,
        records: int,
    ) -> None:
        now = self._clock.now()
        if existing is None:
            session.add(
                IngestionLogEntry(
                    merchant_id=merchant_id,
                    seq=seq,
                    status=status,
                    reason=reason,
                    error_field=field,
                    records=records,
                    parser_version=PARSER_VERSION,
                    updated_at=now,
                )
            )
            return
        existing.status, existing.reason, existing.error_field = status, reason, field
        existing.records, existing.attempts = records, existing.attempts + 1
        existing.parser_version, existing.updated_at = PARSER_VERSION, now
        session.add(existing)

    def _context(self, session: Session, merchant_id: str) -> ParseContext:
        pii_key = self._keyring.get(session, merchant_id, "pii")
        zones = dict(
            session.exec(
                select(Location.external_id, Location.timezone).where(Location.merchant_id == merchant_id)
            ).all()
        )
        fetch = self._fetcher_factory(session, merchant_id, "") if self._fetcher_factory else None

        def timezone(location_id: str) -> str:
            return zones[location_id]

        def resolve_document(store_id: str, doc_id: str) -> str | None:
            return session.exec(
                select(DocumentRow.id).where(
                    DocumentRow.merchant_id == merchant_id,
                    DocumentRow.store_id == store_id,
                    DocumentRow.doc_id == doc_id,
                )
            ).first()

        return ParseContext(
            contact_hmac=lambda kind, value: contact_hmac(pii_key, kind, value),
            fetch=fetch,
            location_timezone=timezone,
            known_store=zones.__contains__,
            resolve_document=resolve_document,
        )

    def _revoke(self, session: Session, merchant_id: str) -> None:
        merchant = session.get(Merchant, merchant_id)
        if merchant is not None and merchant.status != "revoked":
            merchant.status, merchant.revoked_at = "revoked", self._clock.now()
            session.add(merchant)
            log.warning(
                "merchant revoked our authorisation; ingest stops", extra={"merchant_id": merchant_id}
            )


def detection_payload(message: Message) -> DetectionEvent:
    return DetectionEvent.model_validate(json.loads(message.fields["event"]))
