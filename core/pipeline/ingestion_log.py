"""The parse stage's ``ingestion_log`` rows, a whole batch in one statement, and the per-status
counts (``ingestion_counts``) that pipeline health reads, kept in the same transaction.

A seq seen before (a redelivery or a replay) is recognised by the row's key (merchant, seq): its
row takes the new verdict and one more attempt, exactly as loading and updating it would, and its
old status is counted out as the new one is counted in. The counts are exact because each writer
reads the batch's old statuses only after taking the merchant's ``canary.ingestion_counts`` lock
(Postgres; SQLite's write transaction is already exclusive), so no two transactions can both count
the same row as new.

Each row also keeps the (kind, entity) pairs its last reading published (``entities``), so a replay
whose parse no longer names one can retract it (core/pipeline/retraction.py).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlmodel import Session

from core.adapters.registry import PARSER_VERSION
from core.db.bulk import insert_rows
from core.db.dialect import MerchantLock, insert_for
from core.db.tables.ledger import IngestionCount, IngestionLogEntry
from core.pipeline.parse_plan import EventResult

LOG: Table = IngestionLogEntry.__table__  # type: ignore[attr-defined]
COUNTS: Table = IngestionCount.__table__  # type: ignore[attr-defined]
COUNTS_LOCK = MerchantLock("canary.ingestion_counts")


Previous = dict[int, tuple[str, dict[str, Any] | None]]


def previous(session: Session, merchant_id: str, seqs: Sequence[int]) -> Previous:
    """What the log holds for these seqs (a redelivery or a replay): status and entities, by seq.
    Takes the merchant's counts lock first, so ``record_outcomes`` may count from it exactly."""
    COUNTS_LOCK.take(session, merchant_id)
    ordered = sorted(set(seqs))
    before: Previous = {}
    for part in range(0, len(ordered), 500):
        for seq, status, entities in session.execute(
            select(LOG.c.seq, LOG.c.status, LOG.c.entities).where(
                LOG.c.merchant_id == merchant_id, LOG.c.seq.in_(ordered[part : part + 500])
            )
        ):
            before[seq] = (status, entities)
    return before


def entities_of(result: EventResult) -> list[list[str]] | None:
    """The (kind, entity id) pairs a verdict publishes, sorted; None for a failure (which says
    nothing about what the event is, so the log keeps what the last reading said)."""
    if result.status == "failed":
        return None
    return [list(pair) for pair in sorted({(e.kind, e.entity_id) for e in result.events})]


def record_outcomes(
    session: Session,
    merchant_id: str,
    results: Sequence[EventResult],
    now: datetime,
    before: Previous | None = None,
    readings: Mapping[int, dict[str, Any]] | None = None,
) -> None:
    """Write the batch's log rows and counts. ``before`` is ``previous`` of the same transaction for
    these seqs (read here when the caller has not); ``readings`` the ``entities`` value of each seq
    the parse stage worked out (core/pipeline/retraction.py), else the pairs its events name."""
    if not results:
        return
    dialect = session.get_bind().dialect.name
    if before is None:
        before = previous(session, merchant_id, [r.seq for r in results])
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
            "entities": _entities(r, before, readings or {}),
        }
        for r in results
    ]
    final = {r.seq: r.status for r in results}  # the last verdict per seq is the one the row keeps
    if dialect == "postgresql" and len(final) == len(rows):
        # One statement of arrays (core/db/bulk.py) rather than one per row.
        insert_rows(session, LOG, rows, conflict=_PG_CONFLICT)
    else:  # SQLite, or a seq twice in one call: each row's upsert in turn
        session.execute(_upsert(dialect), rows)
    delta: Counter[str] = Counter(final.values())
    delta.subtract(status for status, _entities in before.values())
    changed = [{"merchant_id": merchant_id, "status": s, "events": n} for s, n in sorted(delta.items()) if n]
    if changed:
        session.execute(_add_counts(dialect), changed)


def _entities(
    result: EventResult, before: Previous, readings: Mapping[int, dict[str, Any]]
) -> dict[str, Any] | None:
    named = entities_of(result)
    if named is None:  # a failure keeps what the last reading published
        return before.get(result.seq, ("", None))[1]
    return readings.get(result.seq) or {"named": named}


def counts(session: Session, merchant_id: str) -> dict[str, int]:
    """The merchant's ``ingestion_log`` rows per status, from the counts (a few rows)."""
    return dict(
        session.execute(
            select(COUNTS.c.status, COUNTS.c.events).where(COUNTS.c.merchant_id == merchant_id)
        ).all()
    )


_REPLACED = ("status", "reason", "error_field", "records", "parser_version", "updated_at", "entities")
_PG_CONFLICT = (
    "ON CONFLICT (merchant_id, seq) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _REPLACED)
    + ", attempts = t.attempts + 1"
)


@functools.cache
def _upsert(dialect: str) -> Any:
    stmt = insert_for(dialect)(LOG)
    return stmt.on_conflict_do_update(
        index_elements=["merchant_id", "seq"],
        set_={**{c: stmt.excluded[c] for c in _REPLACED}, "attempts": LOG.c.attempts + 1},
    )


@functools.cache
def _add_counts(dialect: str) -> Any:
    stmt = insert_for(dialect)(COUNTS)
    return stmt.on_conflict_do_update(
        index_elements=["merchant_id", "status"], set_={"events": COUNTS.c.events + stmt.excluded.events}
    )
