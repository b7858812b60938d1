"""The two places where Postgres and SQLite differ for writers: upserts and per-merchant locks.

Upserts: both dialects spell ``INSERT … ON CONFLICT`` the same way in SQLAlchemy, but through two
different ``insert`` constructs; ``insert_for`` picks the right one for a session (or a dialect
name, for statements cached per dialect).

Locks: a writer that reads, computes and writes back (the evidence chain, a projection, the rule
state) must be the only writer for that merchant until it commits. On Postgres that is a
transaction-scoped advisory lock (``pg_advisory_xact_lock``), released by the commit or rollback, so
it holds across processes. SQLite has no advisory locks; embedded mode runs one process, so a
process-local lock per merchant is enough there. ``MerchantLock`` takes both, in that order.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from core.db.uow import Database

POSTGRES = "postgresql"


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def is_postgres(session: Session) -> bool:
    return dialect_of(session) == POSTGRES


def insert_for(bind: Session | str) -> Callable[..., Any]:
    """The ``insert`` construct with ``on_conflict_do_update`` / ``on_conflict_do_nothing`` for the
    session's dialect (or for a dialect name such as ``"postgresql"``)."""
    dialect = bind if isinstance(bind, str) else dialect_of(bind)
    return pg_insert if dialect == POSTGRES else sqlite_insert


def advisory_xact_lock(session: Session, key: str) -> None:
    """Hold ``key`` until the session's transaction ends (Postgres); a no-op on SQLite."""
    if is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": key})


class MerchantLock:
    """One writer per merchant for one ``namespace`` (e.g. ``canary.chain``), across processes on
    Postgres and across threads in embedded mode.

        CHAIN = MerchantLock("canary.chain")
        with CHAIN.tenant(db, merchant_id) as session:   # locked until this transaction ends
            ...
    """

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self._local: dict[str, threading.Lock] = defaultdict(threading.Lock)

    def key(self, merchant_id: str) -> str:
        return f"{self.namespace}:{merchant_id}"

    @contextmanager
    def tenant(self, db: Database, merchant_id: str) -> Iterator[Session]:
        """``db.tenant(merchant_id)`` with this lock held for the whole transaction."""
        with self._local[merchant_id], db.tenant(merchant_id, lock=self.key(merchant_id)) as session:
            yield session

    @contextmanager
    def tenants(
        self, db: Database, merchant_ids: Iterable[str]
    ) -> Iterator[tuple[Session, Callable[[str], None]]]:
        """One transaction over several merchants (``db.tenants``), this lock held for each of them
        until it ends. ``enter(merchant_id)`` binds the merchant and takes its lock; merchants must be
        entered in sorted order (the process-local locks are taken up front, sorted too), so two
        such transactions wait for each other at most, never in a cycle."""
        ordered = sorted(set(merchant_ids))
        last: list[str] = []
        with ExitStack() as held:
            for merchant_id in ordered:
                held.enter_context(self._local[merchant_id])
            with db.tenants() as (session, bind):

                def enter(merchant_id: str) -> None:
                    if merchant_id not in ordered or (last and merchant_id <= last[-1]):
                        raise ValueError("merchants are entered once each, in sorted order")
                    last.append(merchant_id)
                    bind(merchant_id, lock=self.key(merchant_id))

                yield session, enter

    def take(self, session: Session, merchant_id: str) -> None:
        """Only the cross-process half, for a caller already inside its own tenant transaction."""
        advisory_xact_lock(session, self.key(merchant_id))
