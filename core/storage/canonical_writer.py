"""Writes canonical records: idempotent upserts that only move forward in the vendor's version.

``INSERT … ON CONFLICT (merchant_id, natural key) DO UPDATE … WHERE stored.version_key <=
incoming.version_key`` on both SQLite and Postgres: a redelivery rewrites the same values, an older
payload arriving late changes nothing, and the row records the evidence seq that last wrote it.
Each record's table is found from its class: a table class subclasses its domain record.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, SQLModel

import core.db.tables  # noqa: F401  (registers every table class)
from core.domain.records import Canonical

_TABLE_FOR: dict[type[Canonical], Table] = {}


def table_for(record_type: type[Canonical]) -> Table:
    if not _TABLE_FOR:
        _build_registry()
    try:
        return _TABLE_FOR[record_type]
    except KeyError:
        raise LookupError(f"no table stores {record_type.__name__}; add one in core/db/tables") from None


def _build_registry() -> None:
    stack: list[type[Any]] = list(SQLModel.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        table = getattr(cls, "__table__", None)
        if table is None:
            continue
        for base in cls.__mro__[1:]:
            is_record = isinstance(base, type) and issubclass(base, Canonical) and base is not Canonical
            if is_record and getattr(base, "__table__", None) is None:
                _TABLE_FOR.setdefault(base, table)
                break


def write_records(
    session: Session, merchant_id: str, evidence_seq: int | None, records: Iterable[Canonical]
) -> int:
    """Upsert ``records`` for one merchant inside the caller's transaction; returns rows offered.

    A new row gets every column (defaults included); an existing row is updated only in the fields
    the parser actually set. A ``*.deleted`` event that carries just an id must not wipe the times
    and people an earlier event recorded."""
    groups: dict[tuple[type[Canonical], frozenset[str]], list[Canonical]] = defaultdict(list)
    for record in records:
        groups[(type(record), frozenset(record.model_fields_set))].append(record)
    count = 0
    for (record_type, fields_set), items in groups.items():
        rows = [_row(r, merchant_id, evidence_seq) for r in items]
        count += upsert_rows(
            session,
            table_for(record_type),
            record_type.natural_key,
            rows,
            update_only=fields_set | {"version_key", "evidence_seq"},
        )
    return count


def _row(record: Canonical, merchant_id: str, evidence_seq: int | None) -> dict[str, Any]:
    row = record.model_dump()
    row["merchant_id"] = merchant_id
    row["evidence_seq"] = evidence_seq
    return row


def upsert_rows(
    session: Session,
    table: Table,
    natural_key: Sequence[str],
    rows: list[dict[str, Any]],
    *,
    update_only: frozenset[str] | None = None,
) -> int:
    if not rows:
        return 0
    key_cols = ["merchant_id", *natural_key]
    # One statement may not touch a row twice (Postgres refuses); keep the newest version per key.
    newest: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        key = tuple(row[c] for c in key_cols)
        held = newest.get(key)
        if held is None or held["version_key"] <= row["version_key"]:
            newest[key] = row
    values = list(newest.values())
    updated = tuple(c for c in values[0] if c not in key_cols and (update_only is None or c in update_only))
    stmt = _upsert(session.get_bind().dialect.name, table, tuple(key_cols), updated)
    session.execute(stmt, values)
    return len(values)


@functools.cache
def _upsert(dialect: str, table: Table, key_cols: tuple[str, ...], updated: tuple[str, ...]) -> Any:
    """The statement for one (table, key, updated columns) shape, built once per process: building
    ``excluded`` copies every column of the table, which cost more than the parse stage's own work
    when it was done for every event."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(table)
    return stmt.on_conflict_do_update(
        index_elements=list(key_cols),
        set_={c: stmt.excluded[c] for c in updated},
        where=table.c.version_key <= stmt.excluded.version_key,
    )
