"""Replay: re-parse sealed events without re-sealing them (after a parser fix). Idempotent."""

from __future__ import annotations

from sqlmodel import col, select

from core.db.tables.ledger import EvidenceRecord, IngestionLogEntry
from core.db.uow import Database
from core.pipeline.parse import ParseStage, ParseSummary


class Replayer:
    def __init__(self, db: Database, parse_stage: ParseStage) -> None:
        self._db, self._parse = db, parse_stage

    def replay(
        self,
        merchant_id: str,
        *,
        first_seq: int,
        last_seq: int | None = None,
        only_failed: bool = False,
        batch: int = 500,
    ) -> ParseSummary:
        total = ParseSummary()
        start = first_seq
        while True:
            with self._db.tenant(merchant_id) as session:
                query = select(EvidenceRecord.seq).where(
                    EvidenceRecord.merchant_id == merchant_id, EvidenceRecord.seq >= start
                )
                if last_seq is not None:
                    query = query.where(EvidenceRecord.seq <= last_seq)
                if only_failed:
                    query = query.join(
                        IngestionLogEntry,
                        (IngestionLogEntry.merchant_id == EvidenceRecord.merchant_id)  # type: ignore[arg-type]
                        & (IngestionLogEntry.seq == EvidenceRecord.seq),
                    ).where(IngestionLogEntry.status == "failed")
                seqs = list(session.exec(query.order_by(col(EvidenceRecord.seq)).limit(batch)).all())
            if not seqs:
                return total
            done = self._parse.parse_seqs(merchant_id, seqs)
            total = ParseSummary(
                total.parsed + done.parsed, total.ignored + done.ignored, total.failed + done.failed
            )
            start = seqs[-1] + 1
