"""Developer tool: autogenerate a migration by diffing the models against a scratch database that
has been upgraded to head (`canary db revision -m "…"`). The RLS hook in env.py adds policies."""

from __future__ import annotations

import uuid

import psycopg
from alembic import command
from psycopg import sql

from core.db.engine import normalise_url
from core.db.migrate import alembic_config


def autogenerate(admin_url: str, message: str) -> None:
    name = f"canary_revision_{uuid.uuid4().hex[:8]}"
    base = admin_url.rpartition("/")[0]
    plain = base.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(f"{plain}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        config = alembic_config(normalise_url(f"{base}/{name}"))
        command.upgrade(config, "head")
        command.revision(config, message=message, autogenerate=True)
    finally:
        with psycopg.connect(f"{plain}/postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
