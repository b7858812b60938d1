"""Planner statistics for tables a consumer grows quickly (``app.refresh_statistics``).

Postgres plans a query from each table's statistics, and only ``ANALYZE`` (or autovacuum's, about a
minute after a table passed 10 % growth) makes them. A table that grows from empty inside a backfill
keeps statistics that say it is empty, and the batch look-ups (``detection_id IN (…500 ids…)``,
``message_key IN (…)``) are then planned as a walk over every row of the merchant through the key's
leading column instead of 500 key look-ups: each batch is slower than the last (docs/benchmarks.md,
``cases``). The application role may not ``ANALYZE`` tables it does not own, so the migration gives
it ``app.refresh_statistics(tables)``, a ``SECURITY DEFINER`` function that analyses those of the
named ``app`` tables that changed by at least 1,000 rows and 50 % since their last analysis (one
caller at a time; the others skip), and returns their names. On SQLite it is a no-op.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from core.db.uow import Database

log = logging.getLogger(__name__)


def refresh(db: Database, merchant_id: str, tables: Sequence[str]) -> list[str]:
    """Analyse those of ``tables`` (names in the ``app`` schema) that grew enough; returns their names.
    Its own short transaction, after the caller's batch committed; a failure is logged, not raised
    (the batch is already durable and the statistics only make the next one faster)."""
    if not db.is_postgres or not tables:
        return []
    try:
        with db.tenant(merchant_id) as session:
            analysed = session.execute(
                text("SELECT app.refresh_statistics(CAST(:tables AS text[]))"), {"tables": list(tables)}
            ).scalars()
            return [str(t) for t in analysed]
    except SQLAlchemyError:
        log.warning("could not refresh planner statistics", extra={"tables": list(tables)}, exc_info=True)
        return []


class GrowthWatch:
    """Calls ``refresh`` once every ``every`` rows a consumer wrote, so the catalog is read a few
    times per thousand rows, not once per batch."""

    def __init__(self, tables: Sequence[str], every: int = 1_000) -> None:
        self.tables, self.every, self._since = tuple(tables), every, 0

    def wrote(self, db: Database, merchant_id: str, rows: int) -> list[str]:
        self._since += rows
        if self._since < self.every:
            return []
        self._since = 0
        return refresh(db, merchant_id, self.tables)
