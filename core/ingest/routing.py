"""Which merchant an incoming request belongs to, and what it takes to verify it.

A request names its merchant by ``?merchant=<canary id>`` in the notification URL (one subscription
per merchant), or, for one Square application serving many sellers, by the ``merchant_id`` in the
body. The look-up runs before a tenant is known, so on Postgres it goes through the SECURITY DEFINER
function ``app.resolve_merchant`` that returns an id and nothing else.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import text
from sqlmodel import select

from core.db.tables.tenants import Merchant
from core.db.uow import Database
from core.security.keyring import MerchantKeyring

T = TypeVar("T")


@dataclass(frozen=True)
class MerchantRoute:
    merchant_id: str
    status: str
    square_notification_url: str | None
    keys: list[str]


class MerchantDirectory:
    """Look-ups are cached for ``ttl_seconds``: a webhook burst must not cost a transaction and a key
    unwrap per request. A rotated key or a revocation therefore takes effect within the TTL.

    Only answers are cached (never a miss), so every key names a merchant that exists; the ingress
    passes only values of a merchant id's shape (``core/ingest/identifiers.py``), and the cache
    holds at most ``max_entries``, dropping the least recently used, whatever arrives."""

    def __init__(
        self, db: Database, keyring: MerchantKeyring, *, ttl_seconds: float = 30.0, max_entries: int = 4096
    ) -> None:
        self._db, self._keyring = db, keyring
        self._ttl, self._max_entries = ttl_seconds, max_entries
        self._cache: OrderedDict[tuple[Any, ...], tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._cache)

    def _cached(self, key: tuple[Any, ...], load: Callable[[], T | None]) -> T | None:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and now - hit[0] < self._ttl:
            return cast("T", hit[1])
        value = load()
        if value is not None:  # never cache a miss: a merchant onboarded a second ago must route
            with self._lock:
                self._cache[key] = (now, value)
                self._cache.move_to_end(key)
                while len(self._cache) > self._max_entries:
                    self._cache.popitem(last=False)
        return value

    def peek(self, key: tuple[Any, ...]) -> Any:
        """A fresh cached answer or ``None``, without touching the database: the ingress asks this
        on the event loop and hops to a worker thread only on a miss."""
        with self._lock:
            hit = self._cache.get(key)
        return hit[1] if hit is not None and time.monotonic() - hit[0] < self._ttl else None

    def peek_resolve(self, ref: str | None, square_merchant_id: str | None) -> str | None:
        found = self.peek(("resolve", ref, square_merchant_id))
        return found if isinstance(found, str) else None

    def peek_route(self, merchant_id: str, key_purpose: str) -> MerchantRoute | None:
        found = self.peek(("route", merchant_id, key_purpose))
        return found if isinstance(found, MerchantRoute) else None

    def invalidate(self) -> None:
        with self._lock:
            self._cache.clear()

    def resolve(self, ref: str | None, square_merchant_id: str | None) -> str | None:
        if not ref and not square_merchant_id:
            return None
        return self._cached(
            ("resolve", ref, square_merchant_id), lambda: self._resolve(ref, square_merchant_id)
        )

    def _resolve(self, ref: str | None, square_merchant_id: str | None) -> str | None:
        with self._db.system() as session:
            if self._db.is_postgres:
                found = session.execute(
                    text("SELECT app.resolve_merchant(:ref, :sq)"),
                    {"ref": ref or None, "sq": square_merchant_id},
                ).scalar()
                return str(found) if found else None
            query = select(Merchant.id).where(
                Merchant.id == ref if ref else Merchant.square_merchant_id == square_merchant_id
            )
            return session.exec(query).first()

    def route(self, merchant_id: str, key_purpose: str) -> MerchantRoute | None:
        return self._cached(
            ("route", merchant_id, key_purpose), lambda: self._route(merchant_id, key_purpose)
        )

    def _route(self, merchant_id: str, key_purpose: str) -> MerchantRoute | None:
        with self._db.tenant(merchant_id) as session:
            merchant = session.get(Merchant, merchant_id)
            if merchant is None:
                return None
            keys = [k.decode() for k in self._keyring.all_versions(session, merchant_id, key_purpose)]
            return MerchantRoute(merchant.id, merchant.status, merchant.square_notification_url, keys)
