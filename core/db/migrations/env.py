"""Alembic environment: online migrations only, against the URL ``core.db.migrate`` sets."""

from __future__ import annotations

from typing import Any

from alembic import context
from alembic.operations import ops
from sqlalchemy import create_engine, pool, text
from sqlmodel import SQLModel

import core.db.tables  # noqa: F401  (registers every table)
from core.db.engine import SCHEMAS
from core.db.rls import ROUTING_FUNCTIONS, enable_rls_sql

config = context.config


def add_row_level_security(_context: Any, _revision: Any, directives: list[Any]) -> None:
    """Autogenerate hook: every tenant table a revision creates gets its RLS statements in the same
    revision, so a new table cannot ship without a policy (the RLS test double-checks)."""
    script = directives[0]
    for upgrade_ops in script.upgrade_ops_list:
        extra: list[ops.MigrateOperation] = []
        for op in upgrade_ops.ops:
            if not isinstance(op, ops.CreateTableOp):
                continue
            names = {c.name for c in op.columns if hasattr(c, "name")}
            if op.table_name == "merchants":
                extra += [
                    ops.ExecuteSQLOp(sql) for sql in enable_rls_sql(op.schema or "app", "merchants", "id")
                ]
                extra += [ops.ExecuteSQLOp(" ".join(sql.split())) for sql in ROUTING_FUNCTIONS]
            elif "merchant_id" in names:
                extra += [
                    ops.ExecuteSQLOp(sql) for sql in enable_rls_sql(op.schema or "public", op.table_name)
                ]
        upgrade_ops.ops.extend(extra)


def run_migrations_online() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "", poolclass=pool.NullPool)
    with engine.connect() as connection:
        for schema in SCHEMAS:
            connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
        connection.commit()
        context.configure(
            connection=connection,
            target_metadata=SQLModel.metadata,
            include_schemas=True,
            include_name=lambda name, type_, _parent: type_ != "schema" or name in SCHEMAS,
            version_table_schema="app",
            compare_type=True,
            process_revision_directives=add_row_level_security,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
