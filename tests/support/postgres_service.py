"""A throw-away Postgres database per test session, migrated exactly as `canary db upgrade` does.

Tests that need Postgres fail (never skip) when it is unreachable, with the command to start it;
`CANARY_SKIP_SERVICES=1` turns that into a skip for a laptop without services.
"""

from __future__ import annotations

import os
import uuid

import psycopg
import pytest
from psycopg import sql

ADMIN_URL = os.environ.get("CANARY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
APP_ROLE = "canary_app_test"
APP_PASSWORD = "canary-app-test"  # test-only role on a loopback server
START_HINT = (
    "start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` "
    "or run `make services`"
)


def require_postgres() -> None:
    try:
        with psycopg.connect(ADMIN_URL, connect_timeout=3):
            pass
    except psycopg.OperationalError as exc:
        message = (
            f"Postgres is unreachable at {ADMIN_URL.split('@')[-1]} ({str(exc).strip()[:120]}); {START_HINT}"
        )
        if os.environ.get("CANARY_SKIP_SERVICES") == "1":
            pytest.skip(message)
        pytest.fail(message, pytrace=False)


def with_database(url: str, database: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{database}"


def app_url(database_url: str) -> str:
    scheme, _, rest = database_url.partition("://")
    host = rest.split("@", 1)[-1]
    return f"{scheme}://{APP_ROLE}:{APP_PASSWORD}@{host}"


def create_database() -> str:
    name = f"canary_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return with_database(ADMIN_URL, name)


def drop_database(url: str) -> None:
    name = url.rpartition("/")[2]
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
