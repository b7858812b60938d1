"""Stuck-stage alarms: work a stage should have finished long ago, counted where it cannot be lost.

A queue depth says little when the bus itself may have lost the queue (a Redis restart, FLUSHALL):
the stage then looks idle while nothing moves. So the first two alarms read the database:
- ``seal``: an inbox row accepted more than ``stuck_after`` ago is still unsealed;
- ``parse``: an event sealed more than ``stuck_after`` ago has no ``ingestion_log`` row.
Every consumer group (seal, parse and each ``canary:detection`` consumer) also alarms when its
oldest pending message has been held longer than ``stuck_after`` (a consumer that died holding it,
or a message failing again and again), and every stage alarms while the bus is unreachable.
``canary health`` prints them and exits 1; ``/metrics`` exports ``canary_stage_stuck{stage=…}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import col, select

from core.bus.port import BusError, StreamBus
from core.clock import Clock
from core.db.tables.ledger import EvidenceRecord, InboxEntry, IngestionLogEntry
from core.db.uow import Database
from core.pipeline.sweeper import merchant_ids


@dataclass(frozen=True)
class StageRef:
    name: str
    stream: str
    group: str


@dataclass(frozen=True)
class Alarm:
    stage: str
    reason: str


class StageAlarms:
    def __init__(self, db: Database, bus: StreamBus, clock: Clock, *, stuck_after_seconds: int) -> None:
        self._db, self._bus, self._clock = db, bus, clock
        self._after = timedelta(seconds=stuck_after_seconds)

    def check(self, stages: Sequence[StageRef], merchants: Sequence[str] | None = None) -> list[Alarm]:
        """Alarms over every merchant (or only ``merchants``) and every stage in ``stages``."""
        alarms: list[Alarm] = []
        cutoff = self._clock.now() - self._after
        unsealed = unparsed = 0
        for merchant_id in merchants if merchants is not None else merchant_ids(self._db):
            with self._db.tenant(merchant_id) as session:
                unsealed += session.exec(
                    select(func.count()).where(
                        InboxEntry.merchant_id == merchant_id,
                        col(InboxEntry.sealed_seq).is_(None),
                        col(InboxEntry.received_at) <= cutoff,
                    )
                ).one()
                logged = (
                    select(IngestionLogEntry.seq)
                    .where(
                        IngestionLogEntry.merchant_id == merchant_id,
                        IngestionLogEntry.seq == EvidenceRecord.seq,
                    )
                    .exists()
                )
                unparsed += session.exec(
                    select(func.count()).where(
                        EvidenceRecord.merchant_id == merchant_id,
                        col(EvidenceRecord.sealed_at) <= cutoff,
                        ~logged,
                    )
                ).one()
        late = int(self._after.total_seconds())
        if unsealed:
            alarms.append(Alarm("seal", f"{unsealed} accepted event(s) unsealed for more than {late}s"))
        if unparsed:
            alarms.append(Alarm("parse", f"{unparsed} sealed event(s) unparsed for more than {late}s"))
        for stage in stages:
            try:
                stats = self._bus.stats(stage.stream, stage.group)
            except BusError as exc:
                alarms.append(Alarm(stage.name, f"bus unreachable: {exc}"))
                continue
            idle = stats.oldest_pending_idle_ms
            if stats.pending and idle is not None and idle > late * 1000:
                alarms.append(
                    Alarm(
                        stage.name,
                        f"a message has been pending for {idle // 1000}s ({stats.pending} pending)",
                    )
                )
        return alarms
