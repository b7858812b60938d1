"""Bringing an embedded SQLite file made by an earlier Canary up to the current models.

Postgres is migrated by Alembic (`canary db upgrade`). The embedded file is created from the models
with ``create_all``, which adds tables that are missing but never columns that a later version added
to an existing table: a `var/canary.db` left by an older demo then fails deep inside a query with
``no such column``. Here the additive part of a schema change is applied in place (new columns,
new indexes); a change SQLite cannot make with ``ALTER TABLE ADD COLUMN`` (a new NOT NULL column
without a default, a new key column) is refused with one line that says what to do, instead of a
traceback from the first query that touches it. A new table that only summarises an older one
(``DERIVED``) is filled from it, as its Alembic migration does on Postgres.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Connection, Engine, MetaData, inspect, literal
from sqlalchemy.schema import CreateColumn

from core.db.engine import StorageUnavailableError, redact


class SchemaOutOfDateError(StorageUnavailableError):
    """The embedded file predates a schema change that cannot be applied in place."""


# A derived table → the statement that fills it from the table it summarises, run when an older file
# had that table but not this one (the Postgres migration that made the table does the same).
DERIVED = {
    "ingestion_counts": (
        "ingestion_log",
        "INSERT INTO ingestion_counts (merchant_id, status, events) "
        "SELECT merchant_id, status, count(*) FROM ingestion_log GROUP BY merchant_id, status",
    ),
    "fox_rule_days": (
        "fox_alerts",
        "INSERT INTO fox_rule_days (merchant_id, day, rule_id, case_id, alerts) "
        "SELECT merchant_id, date(occurred_at), rule_id, coalesce(case_id, ''), count(*) "
        "FROM fox_alerts GROUP BY 1, 2, 3, 4",
    ),
}


def fill_derived_tables(engine: Engine, present_before: set[str]) -> list[str]:
    """Fill each ``DERIVED`` table that ``create_all`` just made beside an existing source table."""
    filled = []
    with engine.begin() as conn:
        for table, (source, statement) in DERIVED.items():
            if table not in present_before and source in present_before:
                conn.exec_driver_sql(statement)
                filled.append(table)
    return filled


def add_missing_columns(engine: Engine, metadata: MetaData) -> list[str]:
    """Add the columns the models have and the file lacks; returns ``table.column`` for each added."""
    added: list[str] = []
    with engine.begin() as conn:
        present = set(inspect(conn).get_table_names())
        for table in metadata.sorted_tables:
            if table.name not in present:
                continue  # create_all made it just now, complete
            have = {c["name"] for c in inspect(conn).get_columns(table.name)}
            missing = [c for c in table.columns if c.name not in have]
            for column in missing:
                ddl = _column_ddl(conn, engine, column)
                conn.exec_driver_sql(f'ALTER TABLE "{table.name}" ADD COLUMN {ddl}')
                added.append(f"{table.name}.{column.name}")
            if missing:
                for index in table.indexes:
                    index.create(conn, checkfirst=True)
    return added


def add_missing_indexes(engine: Engine, metadata: MetaData) -> list[str]:
    """Create the model indexes an existing file's tables lack (an index a later version declared
    on a table that was already there, e.g. the canonical tables' ``evidence_seq``); returns their
    names."""
    added: list[str] = []
    with engine.begin() as conn:
        present = set(inspect(conn).get_table_names())
        for table in metadata.sorted_tables:
            if table.name not in present:
                continue
            have = {index["name"] for index in inspect(conn).get_indexes(table.name)}
            for index in table.indexes:
                if index.name not in have:
                    index.create(conn, checkfirst=True)
                    added.append(str(index.name))
    return added


def _column_ddl(conn: Connection, engine: Engine, column: Column[Any]) -> str:
    refuse = (
        f"the embedded database {redact(str(engine.url))} was made by an earlier Canary and cannot "
        f"gain {column.table.name}.{column.name} in place; move the file aside (or delete it) and "
        "re-run `canary demo` or re-ingest with `canary backfill`"
    )
    if column.primary_key or column.unique:
        raise SchemaOutOfDateError(refuse)
    ddl = str(CreateColumn(column).compile(dialect=conn.dialect))
    if column.nullable or column.server_default is not None:
        return ddl
    default = column.default
    if default is not None and getattr(default, "is_scalar", False):
        value = literal(default.arg).compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
        return f"{ddl} DEFAULT {value}"
    raise SchemaOutOfDateError(refuse)
