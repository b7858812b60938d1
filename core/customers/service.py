"""``IdentityService``: R's questions, each in its own read transaction scoped to one merchant.

The entry points (canary-identity MCP tools, the CLI) call these methods and nothing else; every
query lives in ``core.customers`` so no SQL leaks into ``servers/``.
"""

from __future__ import annotations

from datetime import datetime

from core.clock import Clock
from core.customers import complaints, history, lookup, segments
from core.customers.definitions import Segment, SegmentThresholds
from core.customers.errors import InvalidArgumentError
from core.customers.results import (
    CardLookup,
    ComplaintsReport,
    CustomerHistory,
    CustomerLookup,
    CustomerMetrics,
    SegmentReport,
)
from core.db.uow import Database


def _merchant_wide(stores: frozenset[str] | None, what: str) -> None:
    """Refuse an answer that spans every store of the merchant to a token limited to some."""
    if stores is not None:
        raise InvalidArgumentError(
            f"{what} spans every store of the merchant, and this sign-in is limited to "
            f"{', '.join(sorted(stores)) or 'no store'}: look the customer up by id instead"
        )


class IdentityService:
    """``stores`` on each method: the stores a token is limited to (a GM's; None: every store). Such
    a token sees only customers a transaction at its stores names, and their figures over those
    stores; answers that span the merchant (card lookup, segments) are refused with a message."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db, self._clock = db, clock

    def lookup_customer(
        self, merchant_id: str, customer: str, *, stores: frozenset[str] | None = None
    ) -> CustomerLookup:
        with self._db.tenant(merchant_id) as session:
            return lookup.lookup_customer(session, merchant_id, customer, stores)

    def lookup_customer_by_card(
        self,
        merchant_id: str,
        fingerprint: str,
        *,
        limit: int = 20,
        cursor: str | None = None,
        stores: frozenset[str] | None = None,
    ) -> CardLookup:
        _merchant_wide(stores, "a card's customers and uses")
        with self._db.tenant(merchant_id) as session:
            return lookup.lookup_by_card(session, merchant_id, fingerprint, limit=limit, cursor=cursor)

    def customer_history(
        self,
        merchant_id: str,
        customer: str,
        *,
        limit: int = 20,
        cursor: str | None = None,
        stores: frozenset[str] | None = None,
    ) -> CustomerHistory:
        with self._db.tenant(merchant_id) as session:
            return history.customer_history(
                session, merchant_id, customer, limit=limit, cursor=cursor, stores=stores
            )

    def customer_metrics(
        self, merchant_id: str, customer: str, *, stores: frozenset[str] | None = None
    ) -> CustomerMetrics:
        with self._db.tenant(merchant_id) as session:
            return lookup.customer_metrics(session, merchant_id, customer, self._clock.now(), stores)

    def customer_segments(
        self,
        merchant_id: str,
        *,
        thresholds: SegmentThresholds | None = None,
        as_of: datetime | None = None,
        customer: str | None = None,
        members_of: Segment | None = None,
        limit: int = 20,
        cursor: str | None = None,
        stores: frozenset[str] | None = None,
    ) -> SegmentReport:
        _merchant_wide(stores, "a segment (counted over every visit)")
        when = as_of or self._clock.now()
        if when.tzinfo is None:
            raise InvalidArgumentError("as_of needs a time zone (give it in UTC, e.g. 2026-11-01T00:00:00Z)")
        with self._db.tenant(merchant_id) as session:
            return segments.customer_segments(
                session,
                merchant_id,
                as_of=when,
                thresholds=thresholds or SegmentThresholds(),
                customer_ref=customer,
                members_of=members_of,
                limit=limit,
                cursor=cursor,
            )

    def customer_complaints(
        self,
        merchant_id: str,
        *,
        customer: str | None = None,
        limit: int = 20,
        cursor: str | None = None,
        stores: frozenset[str] | None = None,
    ) -> ComplaintsReport:
        with self._db.tenant(merchant_id) as session:
            return complaints.customer_complaints(
                session, merchant_id, customer_ref=customer, limit=limit, cursor=cursor, stores=stores
            )
