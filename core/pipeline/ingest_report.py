"""What parsing could not use, grouped: the ``ingestion_log`` rows that failed or were ignored, by
merchant, verdict, source, event type and reason, with a count and a few example seqs (each one can
be re-parsed with ``canary replay --event SEQ`` after a parser fix). Behind ``canary ingest failures``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import col, select

from core.db.tables.ledger import EvidenceRecord, IngestionLogEntry
from core.db.uow import Database

VERDICTS = ("failed", "ignored")


@dataclass
class IngestGroup:
    merchant_id: str
    status: str  # failed | ignored
    source: str
    event_type: str | None
    reason: str | None
    error_field: str | None
    count: int = 0
    examples: list[int] = field(default_factory=list)  # evidence seqs, oldest first
    last_at: datetime | None = None

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        return (self.status, self.source, self.event_type or "", self.reason or "", self.error_field or "")


def ingest_failures(
    db: Database, merchant_id: str, *, statuses: tuple[str, ...] = VERDICTS, examples: int = 3
) -> list[IngestGroup]:
    """The merchant's failed and ignored events, grouped; failures first, then the largest groups."""
    wanted = tuple(s for s in statuses if s in VERDICTS)
    groups: dict[tuple[str, str, str, str, str], IngestGroup] = {}
    with db.tenant(merchant_id) as s:
        rows = s.exec(
            select(
                IngestionLogEntry.seq,
                IngestionLogEntry.status,
                IngestionLogEntry.reason,
                IngestionLogEntry.error_field,
                IngestionLogEntry.updated_at,
                EvidenceRecord.source,
                EvidenceRecord.event_type,
            )
            .join(
                EvidenceRecord,
                (EvidenceRecord.merchant_id == IngestionLogEntry.merchant_id)
                & (EvidenceRecord.seq == IngestionLogEntry.seq),
            )
            .where(IngestionLogEntry.merchant_id == merchant_id, col(IngestionLogEntry.status).in_(wanted))
            .order_by(col(IngestionLogEntry.seq))
        ).all()
    for seq, status, reason, error_field, updated_at, source, event_type in rows:
        group = IngestGroup(merchant_id, status, source, event_type, reason, error_field)
        group = groups.setdefault(group.key, group)
        group.count += 1
        if len(group.examples) < examples:
            group.examples.append(seq)
        if group.last_at is None or updated_at > group.last_at:
            group.last_at = updated_at
    return sorted(groups.values(), key=lambda g: (g.status != "failed", -g.count, g.key))
