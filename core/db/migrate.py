"""Schema creation: Alembic migrations on Postgres (``canary db upgrade``), ``create_all`` on SQLite.

The embedded SQLite file is a single-user convenience; its schema is created from the same models
the migrations are generated from, and a test keeps the two in step (no autogenerate diff).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

import core.db.tables  # noqa: F401  (registers every table)
from core.db.engine import make_engine
from core.db.roles import ensure_app_role
from core.db.sqlite_upgrade import add_missing_columns, add_missing_indexes, fill_derived_tables

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser treats % as interpolation; URLs may contain escaped passwords.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(admin_url: str, *, app_role: str, app_password: str) -> str:
    """Bring the database to the newest schema; returns what was done, for the CLI to print."""
    engine = make_engine(admin_url, pool_size=1)
    try:
        if engine.dialect.name == "sqlite":
            create_sqlite_schema(engine)
            return "sqlite schema created"
        command.upgrade(alembic_config(str(engine.url.render_as_string(hide_password=False))), "head")
        with engine.begin() as conn:
            ensure_app_role(conn, app_role, app_password)
        return f"postgres migrated to head; application role {app_role} ready"
    finally:
        engine.dispose()


def create_sqlite_schema(engine: Engine) -> None:
    """Create what is missing: new tables, and the columns a later version added to old ones."""
    with engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
    SQLModel.metadata.create_all(engine)
    add_missing_columns(engine, SQLModel.metadata)
    add_missing_indexes(engine, SQLModel.metadata)
    fill_derived_tables(engine, present)
