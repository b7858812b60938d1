"""Engines for the two storage backends, and the one-line errors a wrong URL deserves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError, PendingRollbackError

# Postgres keeps tables in these schemas; SQLite has none, so the names are mapped away.
SCHEMAS = ("app", "sales", "metrics")
SQLITE_SCHEMA_MAP: dict[str | None, str | None] = dict.fromkeys(SCHEMAS)


class StorageUnavailableError(RuntimeError):
    """The database cannot be reached or the URL is wrong; the message is one line for a human."""


# SQLSTATE classes of a failure of the database rather than of the statement: 08 connection
# exception, 57 operator intervention (admin shutdown, crash shutdown, cannot connect now), 40
# transaction rollback (serialization failure, deadlock), 53 insufficient resources. Not 57014, a
# cancelled statement: a statement timeout may be the work's own doing, so it is retried as a failure
# of that work (one message at a time, dead-lettered in the end), not waited out forever.
TRANSIENT_SQLSTATE_CLASSES = frozenset({"08", "57", "40", "53"})
NOT_TRANSIENT_SQLSTATES = frozenset({"57014"})


def is_transient(exc: BaseException) -> bool:
    """True when ``exc`` says the database was away or gave up on the transaction (a restart,
    terminated connections, a deadlock), not that the work was wrong: trying the same work again
    later can succeed, so a worker waits and retries it and the ingress answers 503.

    A connection lost without a server message has no SQLSTATE (psycopg says "server closed the
    connection unexpectedly"); on SQLite only a locked or busy database counts."""
    if isinstance(exc, StorageUnavailableError):
        return True
    if isinstance(exc, PendingRollbackError):
        return "reconnect" in str(exc)  # the transaction's connection was invalidated under it
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    if type(orig).__module__.startswith("sqlite3"):
        return isinstance(exc, OperationalError) and any(w in str(orig) for w in ("locked", "busy"))
    if not isinstance(exc, OperationalError) and not _is_psycopg_operational(orig):
        return False
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate in NOT_TRANSIENT_SQLSTATES:
        return False
    return sqlstate is None or sqlstate[:2] in TRANSIENT_SQLSTATE_CLASSES


def _is_psycopg_operational(exc: BaseException | None) -> bool:
    return any(
        c.__module__.startswith("psycopg") and c.__name__ == "OperationalError" for c in type(exc).__mro__
    )


def redact(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable URL>"


def normalise_url(url: str) -> str:
    """Accept the URLs people paste (``postgres://``, ``postgresql://``) and pick the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StorageUnavailableError(f"CANARY_DATABASE_URL is not a database URL: {exc}") from None
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database)
    if parsed.get_backend_name() != "postgresql":
        raise StorageUnavailableError(
            f"unsupported database {parsed.get_backend_name()!r}: use sqlite:/// or postgresql://"
        )
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        connect_args={"connect_timeout": 5, "application_name": "canary"},
    )


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        execution_options={"schema_translate_map": SQLITE_SCHEMA_MAP},
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets the ingress read while a worker writes; NORMAL sync is durable across process crashes.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def check_connection(engine: Engine) -> None:
    """Connect once, turning driver tracebacks into one line that names the (redacted) URL."""
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StorageUnavailableError(
            f"cannot connect to the database at {redact(str(engine.url))}: {reason}"
        ) from None


def hold_sqlite_transaction(session: Any) -> None:
    """Make sure a real transaction is open before the first SAVEPOINT on SQLite.

    pysqlite opens a transaction only before INSERT/UPDATE/DELETE, so a SAVEPOINT issued first
    starts one by itself, and releasing that outermost savepoint COMMITs: writes meant to commit
    together with later ones (parse's canonical rows and their ``ingestion_log`` rows) would commit
    alone. ``BEGIN IMMEDIATE`` takes the write lock at once (waiting out the busy timeout), so the
    transaction cannot meet a concurrent writer's newer snapshot halfway. No-op on Postgres."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    if not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
