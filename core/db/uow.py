"""Units of work. Every tenant operation runs in one transaction with the tenant bound to it.

On Postgres the binding is ``set_config('canary.current_merchant_id', …, true)`` — the transaction-local
form of ``SET LOCAL`` — so row-level security filters every statement, and a pooled connection cannot
carry one tenant's setting into another's transaction. On SQLite the repositories filter by
``merchant_id`` themselves; they do so on Postgres too, so both backends run the same queries.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from core.db.engine import StorageUnavailableError, redact

TENANT_SETTING = "canary.current_merchant_id"


class Bind(Protocol):
    """``Database.tenants``'s binder: the tenant (and optionally an advisory lock) for what follows."""

    def __call__(self, merchant_id: str, *, lock: str | None = None) -> None: ...


class Database:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.is_postgres = engine.dialect.name == "postgresql"

    @contextmanager
    def tenant(self, merchant_id: str, *, lock: str | None = None) -> Iterator[Session]:
        """One transaction scoped to ``merchant_id``: commits on success, rolls back on error.

        ``lock`` (Postgres) is the key of a transaction-scoped advisory lock taken in the same
        statement as the tenant setting, before anything else runs (``MerchantLock``): one round
        trip for both."""
        if not merchant_id:
            raise ValueError("a tenant unit of work needs a merchant id")
        with self._session() as session, session.begin():
            if self.is_postgres and lock is not None:
                session.execute(
                    text(
                        "SELECT set_config(:name, :merchant, true), "
                        "pg_advisory_xact_lock(hashtextextended(:k, 0))"
                    ),
                    {"name": TENANT_SETTING, "merchant": merchant_id, "k": lock},
                )
            elif self.is_postgres:
                session.execute(
                    text("SELECT set_config(:name, :merchant, true)"),
                    {"name": TENANT_SETTING, "merchant": merchant_id},
                )
            yield session

    @contextmanager
    def tenants(self) -> Iterator[tuple[Session, Bind]]:
        """One transaction over several tenants in turn: ``bind(merchant_id)`` before each tenant's
        statements, and every statement runs under the tenant bound last (on Postgres the same
        transaction-local setting as ``tenant``; on SQLite the statements filter by merchant as
        always). For the ingress's group commit (``core/ingest/group_commit.py``) and the seal and
        parse stages' batches, where a commit per merchant per batch was most of the database's
        work; it commits on success and rolls back on error, all tenants together.

        ``bind(merchant_id, lock=key)`` also takes a transaction-scoped advisory lock in the same
        statement, as ``tenant(…, lock=…)`` does. Locks held across tenants must be taken in one
        order by every such caller (the stages bind merchants sorted), so no two deadlock."""
        with self._session() as session, session.begin():

            def bind(merchant_id: str, *, lock: str | None = None) -> None:
                if not merchant_id:
                    raise ValueError("a tenant unit of work needs a merchant id")
                if self.is_postgres and lock is not None:
                    session.execute(
                        text(
                            "SELECT set_config(:name, :merchant, true), "
                            "pg_advisory_xact_lock(hashtextextended(:k, 0))"
                        ),
                        {"name": TENANT_SETTING, "merchant": merchant_id, "k": lock},
                    )
                elif self.is_postgres:
                    session.execute(
                        text("SELECT set_config(:name, :merchant, true)"),
                        {"name": TENANT_SETTING, "merchant": merchant_id},
                    )

            yield session, bind

    @contextmanager
    def system(self) -> Iterator[Session]:
        """A transaction with no tenant: under RLS it sees no tenant rows. For the few cross-tenant
        look-ups (routing an incoming webhook, listing merchants) that go through SECURITY DEFINER
        functions, and for non-tenant tables."""
        with self._session() as session, session.begin():
            yield session

    @contextmanager
    def _session(self) -> Iterator[Session]:
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                yield session
        except OperationalError as exc:
            if exc.connection_invalidated or "connect" in str(exc).lower():
                raise StorageUnavailableError(
                    f"database unavailable at {redact(str(self.engine.url))}: "
                    f"{str(exc.orig).strip().splitlines()[0] if exc.orig else exc}"
                ) from None
            raise

    def dispose(self) -> None:
        self.engine.dispose()
