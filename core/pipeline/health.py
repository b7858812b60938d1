"""Pipeline health: per-stage queue depth and lag, parse-failure rate, oldest unsealed inbox row.

Every figure is an index look-up or a kept count, never a count over the ledger, so a report costs
the same on a merchant with a million events as on a new one (docs/tsp-ops.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select

from core.bus.port import StreamBus
from core.clock import Clock
from core.db.tables.ledger import InboxEntry
from core.db.uow import Database
from core.pipeline.ingestion_log import counts as ingestion_counts
from core.pipeline.seal import SealStage
from core.pipeline.sweeper import merchant_ids

STAGES = (("seal", "events", "seal"), ("parse", "sealed", "parse"))


@dataclass(frozen=True)
class StageHealth:
    stage: str
    stream: str
    length: int
    pending: int
    lag: int | None
    dead_letters: int


@dataclass(frozen=True)
class PipelineHealth:
    stages: list[StageHealth]
    merchants: int
    sealed_events: int
    unsealed_inbox: int
    oldest_unsealed_at: datetime | None
    oldest_unsealed_age_seconds: float | None
    parsed: int
    ignored: int
    failed: int

    @property
    def parse_failure_rate(self) -> float:
        total = self.parsed + self.ignored + self.failed
        return self.failed / total if total else 0.0


class HealthService:
    def __init__(self, db: Database, bus: StreamBus, clock: Clock) -> None:
        self._db, self._bus, self._clock = db, bus, clock

    def report(self, merchant_id: str | None = None) -> PipelineHealth:
        stages = []
        for stage, stream, group in STAGES:
            stats = self._bus.stats(stream, group)
            stages.append(
                StageHealth(stage, stream, stats.length, stats.pending, stats.lag, stats.dead_letters)
            )
        merchants = [merchant_id] if merchant_id else merchant_ids(self._db)
        sealed = unsealed = 0
        oldest: datetime | None = None
        statuses = {"parsed": 0, "ignored": 0, "failed": 0}
        for m in merchants:
            with self._db.tenant(m) as s:
                # The chain's head seq is the number of sealed events (seqs are 1, 2, … with no gap,
                # and evidence is never deleted); the unsealed rows are the partial index
                # ix_inbox_unsealed; the parse verdicts are the counts the parse stage keeps.
                sealed += SealStage.head(s, m).seq
                count, first = s.exec(
                    select(func.count(), func.min(InboxEntry.received_at)).where(
                        InboxEntry.merchant_id == m, col(InboxEntry.sealed_seq).is_(None)
                    )
                ).one()
                unsealed += count
                if first is not None and (oldest is None or first < oldest):
                    oldest = first
                for status, n in ingestion_counts(s, m).items():
                    statuses[status] = statuses.get(status, 0) + n
        age = (self._clock.now() - oldest).total_seconds() if oldest else None
        return PipelineHealth(stages, len(merchants), sealed, unsealed, oldest, age, **statuses)
