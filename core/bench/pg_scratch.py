"""A scratch Postgres database for one benchmark run: create, migrate, hand out URLs, drop.

Migrated exactly as ``canary db upgrade`` does, with a per-run application role (random name and
password) so concurrent runs never change each other's credentials; the role and the database are
dropped together at the end, whatever happened in between.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from core.db.migrate import upgrade

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class ScratchDatabase:
    name: str
    admin_url: str  # the server's admin role, connected to the scratch database
    app_url: str  # the application role (RLS binds it), connected to the scratch database
    app_role: str


def _with(url: str, **parts: str) -> str:
    return make_url(url).set(**parts).render_as_string(hide_password=False)  # type: ignore[arg-type]


def libpq_url(url: str) -> str:
    """A URL psycopg accepts: SQLAlchemy's ``postgresql+psycopg://`` loses its driver suffix."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def scratch_database(
    server_admin_url: str = DEFAULT_ADMIN_URL, *, prefix: str = "canary_bench"
) -> Iterator[ScratchDatabase]:
    token = secrets.token_hex(5)
    name, role, password = f"{prefix}_{token}", f"{prefix}_app_{token}", secrets.token_urlsafe(18)
    server = libpq_url(server_admin_url)
    with psycopg.connect(server, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin = _with(server, database=name)
    try:
        upgrade(admin, app_role=role, app_password=password)
        yield ScratchDatabase(
            name=name, admin_url=admin, app_url=_with(admin, username=role, password=password), app_role=role
        )
    finally:
        with psycopg.connect(server, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
