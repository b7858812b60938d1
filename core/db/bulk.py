"""Many rows in one statement on Postgres: one array per column, spread back into rows by ``unnest``.

An executemany through psycopg sends one prepared statement per row (pipelined, but still a bind
and an execution per row, with the parameters dumped in Python), and SQLAlchemy's multi-row
``VALUES`` compiles a new statement for every row count. Here the statement text depends only on
the table, the columns and which of them hold one value for every row (sent as one scalar, since
dumping array elements is most of a bulk write's Python cost), so it is built once per process and
prepared once per connection, and the rows travel as a handful of arrays whatever their number:
the pipeline's hot writes (``core/pipeline/seal.py``, ``core/ingest/inbox.py``) took a third or
more of their stage's CPU the other way (docs/benchmarks.md, "Webhooks").

Values go through each column type's bind processing first (``UTCDateTime`` refuses a naive time
here as it does everywhere), so the rows are the ones ``session.execute(table.insert(), rows)``
would take. On SQLite the same calls run as that executemany.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import psycopg
from psycopg.types.array import ListBinaryDumper
from sqlalchemy import ColumnElement, Dialect, Row, Table, any_, bindparam, cast, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.selectable import TextualSelect
from sqlmodel import Session

_PG = postgresql.dialect()


def _array_type(table: Table, column: str) -> str:
    return f"{table.c[column].type.compile(dialect=_PG)}[]"


@functools.cache
def _processors(
    table: Table, columns: tuple[str, ...], dialect: Dialect
) -> tuple[Callable[[Any], Any] | None, ...]:
    return tuple(table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns)


class _BinaryArray(list[Any]):
    """A column's values, sent in Postgres's binary array format (``ListBinaryDumper``, registered
    for this type alone): psycopg's text format quotes and escapes every element in Python, which
    took ten times as long for bytes and timestamps (12 µs a row for an inbox payload)."""

    __slots__ = ()


psycopg.adapters.register_dumper(_BinaryArray, ListBinaryDumper)


def array_param(values: list[Any]) -> list[Any]:
    """A list bound for ``CAST(:x AS <type>[])``, in the binary format when its elements allow."""
    # The binary format needs one element type; a mix (an int among floats) goes as text, which
    # the CAST converts all the same.
    kinds = {type(v) for v in values if v is not None}
    return _BinaryArray(values) if len(kinds) <= 1 else values


def any_of(session: Session, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN values``, on Postgres as ``column = ANY(CAST(:p AS <type>[]))`` with the values in
    one bound array: the statement text is the same whatever their number, so psycopg converts it
    once and Postgres plans an array look-up, where an expanding ``IN`` renders, converts and plans a
    new statement for every count (a batch's 500 keys). Values are passed as they are (no bind
    processing): use it for plain columns (text, integers)."""
    if session.get_bind().dialect.name != "postgresql":
        return column.in_(list(values))  # type: ignore[no-any-return]
    array = bindparam(None, array_param(list(values)), type_=None)
    return column == any_(cast(array, postgresql.ARRAY(column.type)))  # type: ignore[no-any-return]


@functools.cache
def _probe(table: Table, fixed: tuple[str, ...], column: str, returning: tuple[str, ...]) -> TextualSelect:
    where = " AND ".join([*(f"t.{c} = :f{n}" for n, c in enumerate(fixed)), f"t.{column} = k.key"])
    picks = ", ".join(f"t.{c}" for c in returning)
    # Names come from the table definitions and the caller's code, never from data: values are bound.
    sql = (
        f"SELECT r.* FROM unnest(CAST(:keys AS {_array_type(table, column)})) AS k(key) "  # noqa: S608
        f"CROSS JOIN LATERAL (SELECT {picks} FROM {_name(table)} AS t WHERE {where} LIMIT 1) AS r"
    )
    return text(sql).columns(*(table.c[c] for c in returning))  # typed: result processing as for the table


def by_key(
    session: Session,
    table: Table,
    fixed: Mapping[str, Any],
    column: str,
    values: Sequence[Any],
    returning: Sequence[str],
) -> list[Row[Any]]:
    """The rows whose key is ``fixed`` plus one of ``values`` in ``column`` (``fixed`` and ``column``
    must be a unique key of the table), with the ``returning`` columns.

    On Postgres one index probe per value, whatever the planner thinks of the table: the values are
    unnested and each is looked up in a ``LATERAL … LIMIT 1`` subquery, which cannot become a scan.
    ``column = ANY(array)`` let the planner choose a sequential scan filtering every row of a table
    that is small for its statistics yet large for 500 keys (``processed_messages`` at 50,000 rows:
    10–16 ms, against 1 ms for the probes; docs/benchmarks.md, ``cases``)."""
    if not values:
        return []
    if session.get_bind().dialect.name != "postgresql":
        stmt = select(*(table.c[c] for c in returning)).where(
            *(table.c[c] == v for c, v in fixed.items()), table.c[column].in_(list(values))
        )
        return list(session.execute(stmt).all())
    params: dict[str, Any] = {f"f{n}": v for n, v in enumerate(fixed.values())}
    params["keys"] = array_param(list(values))
    return list(session.execute(_probe(table, tuple(fixed), column, tuple(returning)), params).all())


def _same(values: list[Any]) -> bool:
    first = values[0]
    kind = type(first)
    return all(type(v) is kind and v == first for v in values)


def _arrays(
    session: Session, table: Table, columns: tuple[str, ...], rows: Sequence[dict[str, Any]]
) -> tuple[dict[str, Any], tuple[bool, ...]]:
    """The bound values, and which columns hold one value for every row: those travel as one
    scalar (``:s<n>``) instead of an array (``:a<n>``), since dumping an array's elements is most of
    what a bulk write costs in Python (a batch's merchant id, time, rule, empty fields). At least one
    column stays an array, so ``unnest`` gives the number of rows."""
    out: dict[str, Any] = {}
    processors = _processors(table, columns, session.get_bind().dialect)
    processed: list[list[Any]] = []
    for column, process in zip(columns, processors, strict=True):
        values = [row[column] for row in rows]
        processed.append([process(v) for v in values] if process is not None else values)
    shared = [_same(values) for values in processed]
    if all(shared):
        shared[0] = False
    for n, values in enumerate(processed):
        if shared[n]:
            out[f"s{n}"] = values[0]
        else:
            out[f"a{n}"] = array_param(values)
    return out, tuple(shared)


def _unnest(table: Table, columns: tuple[str, ...], shared: tuple[bool, ...]) -> str:
    arrays = [(n, c) for n, c in enumerate(columns) if not shared[n]]
    casts = ", ".join(f"CAST(:a{n} AS {_array_type(table, c)})" for n, c in arrays)
    unnest = f"unnest({casts}) AS u({', '.join(c for _, c in arrays)})"
    if not any(shared):
        return unnest
    picks = ", ".join(
        f"CAST(:s{n} AS {table.c[c].type.compile(dialect=_PG)}) AS {c}" if shared[n] else f"u.{c}"
        for n, c in enumerate(columns)
    )
    return f"(SELECT {picks} FROM {unnest}) AS u"  # noqa: S608 (names from the table definitions)


def _name(table: Table) -> str:
    return f"{table.schema}.{table.name}" if table.schema else table.name


@functools.cache
def _insert(table: Table, columns: tuple[str, ...], conflict: str, shared: tuple[bool, ...]) -> TextClause:
    names = ", ".join(columns)
    # Names come from the table definitions and the caller's code, never from data: values are bound.
    source = _unnest(table, columns, shared)
    sql = f"INSERT INTO {_name(table)} AS t ({names}) SELECT {names} FROM {source} {conflict}"  # noqa: S608
    return text(sql)


@functools.cache
def _update(
    table: Table, keys: tuple[str, ...], columns: tuple[str, ...], shared: tuple[bool, ...]
) -> TextClause:
    every = (*keys, *columns)
    sets = ", ".join(f"{c} = u.{c}" for c in columns)
    where = " AND ".join(f"t.{k} = u.{k}" for k in keys)
    sql = f"UPDATE {_name(table)} AS t SET {sets} FROM {_unnest(table, every, shared)} WHERE {where}"  # noqa: S608
    return text(sql)


@functools.cache
def _defaults(table: Table, columns: tuple[str, ...]) -> tuple[tuple[str, Callable[[], Any]], ...]:
    """The Python-side defaults an ``INSERT`` fills for the columns the rows leave out (a server
    default needs nothing from here)."""
    out: list[tuple[str, Callable[[], Any]]] = []
    for column in table.c:
        default = column.default
        if column.name in columns or default is None:
            continue
        if default.is_scalar:
            out.append((column.name, lambda value=default.arg: value))  # type: ignore[attr-defined]
        elif default.is_callable:  # SQLAlchemy's wrapper of a zero-argument factory takes a context
            out.append((column.name, lambda make=default.arg: make(None)))  # type: ignore[attr-defined]
        else:
            raise ValueError(f"{table.name}.{column.name}: a SQL default; give the column a value")
    return tuple(out)


def insert_rows(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], *, conflict: str = ""
) -> None:
    """``INSERT`` every row (all with the same keys). ``conflict`` is a Postgres ``ON CONFLICT …``
    clause, naming the stored row ``t`` and the new one ``excluded``; it is not offered on SQLite."""
    if not rows:
        return
    columns = tuple(rows[0])
    if session.get_bind().dialect.name != "postgresql":
        if conflict:
            raise ValueError("an ON CONFLICT clause is for Postgres only")
        session.execute(table.insert(), list(rows))
        return
    defaults = _defaults(table, columns)
    if defaults:
        rows = [{**row, **{name: make() for name, make in defaults}} for row in rows]
        columns = tuple(rows[0])
    params, shared = _arrays(session, table, columns, rows)
    session.execute(_insert(table, columns, conflict, shared), params)


def update_rows(session: Session, table: Table, keys: Sequence[str], rows: Sequence[dict[str, Any]]) -> None:
    """Set each row's other columns on the row its ``keys`` columns name (every row the same keys)."""
    if not rows:
        return
    keys = tuple(keys)
    columns = tuple(c for c in rows[0] if c not in keys)
    if session.get_bind().dialect.name != "postgresql":
        stmt = update(table).where(*(table.c[k] == bindparam(f"k_{k}") for k in keys))
        stmt = stmt.values({c: bindparam(f"v_{c}") for c in columns})
        session.execute(
            stmt, [{**{f"k_{k}": r[k] for k in keys}, **{f"v_{c}": r[c] for c in columns}} for r in rows]
        )
        return
    params, shared = _arrays(session, table, (*keys, *columns), rows)
    session.execute(_update(table, keys, columns, shared), params)
