"""Helpers: number example events as the ledger would for one merchant, read the alerts stream."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from sqlmodel import select

from core.bus.memory import InProcessBus
from core.bus.port import ALERTS
from core.db.tables.rules import DetectionRow
from core.db.uow import Database
from core.domain.parsing import ParsedEvent

_seq = itertools.count(1)


def for_merchant(merchant_id: str, events: Iterable[ParsedEvent]) -> list[ParsedEvent]:
    return [e.model_copy(update={"merchant_id": merchant_id, "evidence_seq": next(_seq)}) for e in events]


def alerts(bus: InProcessBus) -> list[dict[str, str]]:
    bus.ensure_group(ALERTS, "test")
    return [dict(m.fields) for m in bus.read(ALERTS, "test", "t", count=1_000, block_ms=0)]


def detections(db: Database, merchant_id: str) -> list[DetectionRow]:
    with db.tenant(merchant_id) as s:
        return list(s.exec(select(DetectionRow).where(DetectionRow.merchant_id == merchant_id)).all())
