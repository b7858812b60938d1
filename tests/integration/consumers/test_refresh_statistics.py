"""``app.refresh_statistics`` (core/db/statistics.py): the application role, which owns no table, gets
fresh planner statistics for an app table it grew, only once it grew enough, and never for a table
outside the app schema."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, text

from core.db.statistics import refresh
from core.db.tables.ledger import ProcessedMessage
from core.db.uow import Database

pytestmark = pytest.mark.postgres


def _grow(db: Database, merchant: str, n: int, prefix: str) -> None:
    now = datetime.now(UTC)
    with db.tenant(merchant) as s:
        s.execute(
            insert(ProcessedMessage.__table__),  # type: ignore[attr-defined]
            [
                {
                    "merchant_id": merchant,
                    "consumer": "stats-test",
                    "message_key": f"{prefix}{i}",
                    "processed_at": now,
                }
                for i in range(n)
            ],
        )


def _analysed_rows(admin: Database) -> float:
    with admin.system() as s:
        query = text("SELECT reltuples FROM pg_class WHERE oid = 'app.processed_messages'::regclass")
        return float(s.execute(query).scalar_one())


def _live_rows(admin: Database) -> int:
    with admin.system() as s:
        return int(s.execute(text("SELECT count(*) FROM app.processed_messages")).scalar_one())


def test_the_application_role_refreshes_a_grown_table_once(pg_app: Database, pg_admin: Database) -> None:
    merchant = f"m_{uuid.uuid4().hex[:10]}"
    _grow(pg_app, merchant, 50, "a")
    refresh(pg_app, merchant, ["processed_messages"])  # whatever earlier tests left: start analysed
    # Earlier tests in the session share this table; grow it past the 50 % the refresh waits for.
    grown = max(3_000, _live_rows(pg_admin) + 1_000)
    _grow(pg_app, merchant, grown, "b")
    asked = ["processed_messages", "pg_authid", "no_such_table"]
    deadline = time.monotonic() + 10  # a backend reports its row counts within about a second
    while not (analysed := refresh(pg_app, merchant, asked)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert analysed == ["processed_messages"]
    assert _analysed_rows(pg_admin) >= grown + 50
    assert refresh(pg_app, merchant, ["processed_messages"]) == []  # nothing changed since
