"""The parse stage's ``ingestion_log`` rows, a whole batch in one statement.

A seq seen before (a redelivery or a replay) is recognised by the row's key (merchant, seq): its
row takes the new verdict and one more attempt, exactly as loading and updating it would.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table
from sqlmodel import Session

from core.adapters.registry import PARSER_VERSION
from core.db.dialect import insert_for
from core.db.tables.ledger import IngestionLogEntry
from core.pipeline.parse_event import EventResult

LOG: Table = IngestionLogEntry.__table__  # type: ignore[attr-defined]


def record_outcomes(
    session: Session, merchant_id: str, results: Sequence[EventResult], now: datetime
) -> None:
    if not results:
        return
    rows = [
        {
            "merchant_id": merchant_id,
            "seq": r.seq,
            "status": r.status,
            "reason": r.reason,
            "error_field": r.field,
            "records": r.records,
            "attempts": 1,
            "parser_version": PARSER_VERSION,
            "updated_at": now,
        }
        for r in results
    ]
    session.execute(_upsert(session.get_bind().dialect.name), rows)


@functools.cache
def _upsert(dialect: str) -> Any:
    stmt = insert_for(dialect)(LOG)
    replaced = ("status", "reason", "error_field", "records", "parser_version", "updated_at")
    return stmt.on_conflict_do_update(
        index_elements=["merchant_id", "seq"],
        set_={**{c: stmt.excluded[c] for c in replaced}, "attempts": LOG.c.attempts + 1},
    )
