"""Chirp storage tests run on SQLite and on Postgres as the application role (row-level security on).

Until the migration for Q's tables lands, the session's Postgres database gets any table the models
declare and the migrations lack, with its RLS policy and grants, exactly as a migration would add them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

import core.db.tables
import core.db.tables.documents
import core.db.tables.rules  # noqa: F401
from core.bus.memory import InProcessBus
from core.clock import FixedClock
from core.db.rls import rls_sql_for
from core.db.uow import Database
from core.rules.consumer import ChirpStage
from core.rules.service import ChirpService
from tests.support import postgres_service as pg

START = datetime(2026, 5, 4, 18, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def rules_pg_schema(pg_admin: Database) -> None:
    with pg_admin.engine.begin() as conn:
        inspector = inspect(conn)
        for table in SQLModel.metadata.sorted_tables:
            if inspector.has_table(table.name, schema=table.schema):
                continue
            table.create(conn)
            if "merchant_id" in table.c:
                for statement in rls_sql_for(table):
                    conn.execute(text(statement))
            conn.execute(
                text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table.schema}.{table.name} TO {pg.APP_ROLE}")
            )


@pytest.fixture
def db(any_db: Database, request: pytest.FixtureRequest) -> Database:
    if any_db.is_postgres:
        request.getfixturevalue("rules_pg_schema")
    return any_db


@pytest.fixture
def merchant() -> str:
    return f"m_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def bus() -> Iterator[InProcessBus]:
    bus = InProcessBus(prefix=f"test-{uuid.uuid4().hex[:6]}:")
    yield bus
    bus.close()


@pytest.fixture
def stage(db: Database, bus: InProcessBus, clock: FixedClock) -> ChirpStage:
    return ChirpStage(db, bus, clock)


@pytest.fixture
def service(db: Database, clock: FixedClock) -> ChirpService:
    return ChirpService(db, clock)
