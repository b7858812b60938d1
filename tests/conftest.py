"""Shared fixtures: one migrated Postgres database per session, SQLite per test, both as `Database`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.db.engine import make_engine
from core.db.migrate import create_sqlite_schema, upgrade
from core.db.uow import Database
from tests.support import postgres_service as pg
from tests.support import quick_bench


@pytest.fixture(scope="session")
def postgres_urls() -> Iterator[tuple[str, str]]:
    """(admin URL, application-role URL) of a fresh database migrated with `canary db upgrade`."""
    pg.require_postgres()
    admin = pg.create_database()
    try:
        upgrade(admin, app_role=pg.APP_ROLE, app_password=pg.APP_PASSWORD)
        yield admin, pg.app_url(admin)
    finally:
        pg.drop_database(admin)


@pytest.fixture(scope="session")
def quick_bench_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    """`canary bench --quick`, run once (tests/support/quick_bench.py): its JSON and Markdown."""
    return quick_bench.run(tmp_path_factory.mktemp("bench"))


@pytest.fixture(scope="session")
def pg_admin(postgres_urls: tuple[str, str]) -> Iterator[Database]:
    db = Database(make_engine(postgres_urls[0], pool_size=2))
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def pg_app(postgres_urls: tuple[str, str]) -> Iterator[Database]:
    """Connected as the application role: row-level security binds every query."""
    db = Database(make_engine(postgres_urls[1], pool_size=4))
    yield db
    db.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    engine = make_engine(f"sqlite:///{tmp_path / 'canary.db'}")
    create_sqlite_schema(engine)
    db = Database(engine)
    yield db
    db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db(request: pytest.FixtureRequest) -> Database:
    """The same test against the embedded and the production storage (Postgres as the app role)."""
    name = "sqlite_db" if request.param == "sqlite" else "pg_app"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]
