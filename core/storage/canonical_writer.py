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
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table
from sqlmodel import Session, SQLModel

import core.db.tables  # noqa: F401  (registers every table class)
from core.db.bulk import insert_rows
from core.db.dialect import insert_for
from core.domain.records import Canonical

_TABLE_FOR: dict[type[Canonical], Table] = {}


def table_for(record_type: type[Canonical]) -> Table:
    if not _TABLE_FOR:
        _build_registry()
    try:
        return _TABLE_FOR[record_type]
    except KeyError:
        raise LookupError(f"no table stores {record_type.__name__}; add one in core/db/tables") from None


def canonical_tables() -> list[tuple[Table, tuple[str, ...]]]:
    """Every canonical table with its natural key (without ``merchant_id``), in a stable order."""
    if not _TABLE_FOR:
        _build_registry()
    return sorted(((t, r.natural_key) for r, t in _TABLE_FOR.items()), key=lambda pair: pair[0].name)


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


@dataclass(frozen=True)
class UpsertGroup:
    """Rows of one (table, fields-set shape), newest version per key: what one statement writes."""

    table: Table
    key_cols: tuple[str, ...]
    update_only: frozenset[str]
    rows: list[dict[str, Any]]


def plan_records(
    merchant_id: str, evidence_seq: int | None, records: Iterable[Canonical]
) -> list[UpsertGroup]:
    """The statements ``write_records`` would run for ``records``, in the order it would run them,
    without touching the database (a batch merges many events' plans; see `write_plans`)."""
    groups: dict[tuple[type[Canonical], frozenset[str]], list[Canonical]] = defaultdict(list)
    for record in records:
        groups[(type(record), frozenset(record.model_fields_set))].append(record)
    plan = []
    for (record_type, fields_set), items in groups.items():
        key_cols = ("merchant_id", *record_type.natural_key)
        rows = _newest([_row(r, merchant_id, evidence_seq) for r in items], key_cols)
        update_only = fields_set | {"version_key", "evidence_seq"}
        plan.append(UpsertGroup(table_for(record_type), key_cols, update_only, rows))
    return plan


def write_records(
    session: Session, merchant_id: str, evidence_seq: int | None, records: Iterable[Canonical]
) -> int:
    """Upsert ``records`` for one merchant inside the caller's transaction; returns rows offered.

    A new row gets every column (defaults included); an existing row is updated only in the fields
    the parser actually set. A ``*.deleted`` event that carries just an id must not wipe the times
    and people an earlier event recorded."""
    plan = plan_records(merchant_id, evidence_seq, records)
    for group in plan:
        _execute(session, group.table, group.key_cols, group.rows, group.update_only)
    return sum(len(group.rows) for group in plan)


def write_plans(session: Session, plans: Sequence[Sequence[UpsertGroup]]) -> None:
    """Run many events' plans (in event order) with one executemany per round and shape.

    The result is the one running each plan in turn would give. A key's k-th write goes into round
    k, so within a round no key repeats (Postgres refuses to touch a row twice in one statement) and
    each key sees its writes in event order: the forward-only rule then leaves the newest version,
    with the evidence seq of the event that wrote it, and partial updates apply on top of what the
    earlier events wrote. Rows of different keys do not interact (canonical tables have no foreign
    keys between them), so their order across statements does not matter."""
    rounds: list[dict[tuple[Table, tuple[str, ...], frozenset[str]], list[dict[str, Any]]]] = []
    writes_so_far: dict[tuple[Table, tuple[Any, ...]], int] = defaultdict(int)
    for plan in plans:
        for group in plan:
            shape = (group.table, group.key_cols, group.update_only)
            for row in group.rows:
                key = (group.table, tuple(row[c] for c in group.key_cols))
                round_no = writes_so_far[key]
                writes_so_far[key] = round_no + 1
                if round_no == len(rounds):
                    rounds.append({})
                rounds[round_no].setdefault(shape, []).append(row)
    for statements in rounds:
        for (table, key_cols, update_only), rows in statements.items():
            _execute(session, table, key_cols, rows, update_only)


def _row(record: Canonical, merchant_id: str, evidence_seq: int | None) -> dict[str, Any]:
    row = record.model_dump()
    row["merchant_id"] = merchant_id
    row["evidence_seq"] = evidence_seq
    return row


def _newest(rows: list[dict[str, Any]], key_cols: Sequence[str]) -> list[dict[str, Any]]:
    # One statement may not touch a row twice (Postgres refuses); keep the newest version per key.
    newest: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        key = tuple(row[c] for c in key_cols)
        held = newest.get(key)
        if held is None or held["version_key"] <= row["version_key"]:
            newest[key] = row
    return list(newest.values())


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
    key_cols = ("merchant_id", *natural_key)
    values = _newest(rows, key_cols)
    _execute(session, table, key_cols, values, update_only)
    return len(values)


def _execute(
    session: Session,
    table: Table,
    key_cols: tuple[str, ...],
    values: list[dict[str, Any]],
    update_only: frozenset[str] | None,
) -> None:
    updated = tuple(c for c in values[0] if c not in key_cols and (update_only is None or c in update_only))
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # One statement of arrays for the whole shape (core/db/bulk.py), not a statement per row.
        insert_rows(session, table, values, conflict=_pg_conflict(key_cols, updated))
        return
    session.execute(_upsert(dialect, table, key_cols, updated), values)


@functools.cache
def _pg_conflict(key_cols: tuple[str, ...], updated: tuple[str, ...]) -> str:
    """The forward-only upsert of ``_upsert`` in Postgres's words, for ``insert_rows``."""
    sets = ", ".join(f"{c} = excluded.{c}" for c in updated)
    keys = ", ".join(key_cols)
    return f"ON CONFLICT ({keys}) DO UPDATE SET {sets} WHERE t.version_key <= excluded.version_key"


@functools.cache
def _upsert(dialect: str, table: Table, key_cols: tuple[str, ...], updated: tuple[str, ...]) -> Any:
    """The statement for one (table, key, updated columns) shape, built once per process: building
    ``excluded`` copies every column of the table, which cost more than the parse stage's own work
    when it was done for every event."""
    stmt = insert_for(dialect)(table)
    return stmt.on_conflict_do_update(
        index_elements=list(key_cols),
        set_={c: stmt.excluded[c] for c in updated},
        where=table.c.version_key <= stmt.excluded.version_key,
    )
