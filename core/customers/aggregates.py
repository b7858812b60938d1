"""Recomputing R's aggregates from its per-transaction and per-tender rows (set-based SQL).

The incremental projection and ``canary rebuild customers`` both end here, for some customers or for
all, which is why a rebuild produces the same rows as the stream did. Everything runs inside the
caller's tenant transaction, under ``PROJECTION_LOCK`` (one projection writer per merchant at a time:
two writers recomputing the same customer from different snapshots would lose an update).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, case, func, select, update
from sqlmodel import Session

from core.customers.definitions import COMPLETED, MIXED_CURRENCY, REFUND, SALE, split_customer_id
from core.db.dialect import MerchantLock, insert_for
from core.db.tables.customers import CardProfile, CardUse, Customer, CustomerTransaction

CT: Table = CustomerTransaction.__table__  # type: ignore[attr-defined]
CUSTOMERS: Table = Customer.__table__  # type: ignore[attr-defined]
USES: Table = CardUse.__table__  # type: ignore[attr-defined]
PROFILES: Table = CardProfile.__table__  # type: ignore[attr-defined]

CHUNK = 1_000
PROJECTION_COLUMNS = (
    "lifetime_value_cents",
    "lifetime_value_net_cents",
    "refunds_cents",
    "transaction_count",
    "refund_count",
    "currency",
    "first_seen_at",
    "last_seen_at",
)
ZERO: dict[str, Any] = {
    "lifetime_value_cents": 0,
    "lifetime_value_net_cents": 0,
    "refunds_cents": 0,
    "transaction_count": 0,
    "refund_count": 0,
    "currency": None,
    "first_seen_at": None,
    "last_seen_at": None,
}
CARD_COLUMNS = (
    "card_brand",
    "use_count",
    "customer_count",
    "location_count",
    "first_seen_at",
    "last_seen_at",
)

# One projection writer per merchant (R's consumer, rebuild and forget all take it).
PROJECTION_LOCK = MerchantLock("canary.customers")


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def customer_totals(merchant_id: str) -> Any:
    sale = and_(CT.c.type == SALE, CT.c.status == COMPLETED)
    refund = and_(CT.c.type == REFUND, CT.c.status == COMPLETED)
    counted = and_(CT.c.type.in_([SALE, REFUND]), CT.c.status == COMPLETED)
    return (
        select(
            CT.c.customer_id,
            func.sum(case((sale, CT.c.amount_cents), else_=0)).label("gross"),
            func.sum(case((refund, CT.c.amount_cents), else_=0)).label("refunds"),
            func.sum(case((sale, 1), else_=0)).label("sales"),
            func.sum(case((refund, 1), else_=0)).label("refund_count"),
            func.min(CT.c.occurred_at).label("first_seen"),
            func.max(CT.c.occurred_at).label("last_seen"),
            func.min(case((counted, CT.c.currency))).label("currency_lo"),
            func.max(case((counted, CT.c.currency))).label("currency_hi"),
        )
        .where(CT.c.merchant_id == merchant_id, CT.c.customer_id.is_not(None))
        .group_by(CT.c.customer_id)
    )


def _customer_row(merchant_id: str, row: Any, now: datetime) -> dict[str, Any]:
    source, external_id = split_customer_id(row.customer_id)
    gross, refunds = int(row.gross or 0), int(row.refunds or 0)
    currency = row.currency_lo if row.currency_lo == row.currency_hi else MIXED_CURRENCY
    return {
        "merchant_id": merchant_id,
        "id": row.customer_id,
        "source": source,
        "external_id": external_id,
        "version_key": "",
        "evidence_seq": None,
        "db_status": "active",
        "lifetime_value_cents": gross,
        "lifetime_value_net_cents": gross - refunds,
        "refunds_cents": refunds,
        "transaction_count": int(row.sales or 0),
        "refund_count": int(row.refund_count or 0),
        "currency": currency,
        "first_seen_at": row.first_seen,
        "last_seen_at": row.last_seen,
        "valid_from": row.first_seen or now,
        "created_at": now,
        "updated_at": now,
    }


def recompute_customers(
    session: Session, merchant_id: str, customer_ids: Collection[str] | None, now: datetime
) -> int:
    """Set the projection columns of the given customers (all with ``None``) from their transactions,
    creating the registry row of a customer a transaction names before the vendor record arrives."""
    if customer_ids is None:
        session.execute(update(CUSTOMERS).where(CUSTOMERS.c.merchant_id == merchant_id).values(**ZERO))
        batches: list[Any] = [customer_totals(merchant_id)]
    else:
        ids = sorted({c for c in customer_ids if c})
        batches = [customer_totals(merchant_id).where(CT.c.customer_id.in_(part)) for part in chunks(ids)]
    seen: set[str] = set()
    written = 0
    for stmt in batches:
        rows = [_customer_row(merchant_id, r, now) for r in session.execute(stmt)]
        seen.update(r["id"] for r in rows)
        for part in chunks(rows):
            insert = insert_for(session)(CUSTOMERS)
            keep = {c: insert.excluded[c] for c in PROJECTION_COLUMNS}
            session.execute(
                insert.on_conflict_do_update(
                    index_elements=["merchant_id", "id"],
                    set_={**keep, "updated_at": insert.excluded.updated_at},
                ),
                list(part),
            )
            written += len(part)
    if customer_ids is not None:
        gone = sorted(set(customer_ids) - seen - {""})
        for part in chunks(gone):
            session.execute(
                update(CUSTOMERS)
                .where(CUSTOMERS.c.merchant_id == merchant_id, CUSTOMERS.c.id.in_(part))
                .values(**ZERO, updated_at=now)
            )
    return written


def _card_totals(merchant_id: str) -> Any:
    return (
        select(
            USES.c.fingerprint,
            func.max(USES.c.card_brand).label("card_brand"),
            func.count().label("use_count"),
            func.count(USES.c.customer_id.distinct()).label("customer_count"),
            func.count(USES.c.location_id.distinct()).label("location_count"),
            func.min(USES.c.occurred_at).label("first_seen_at"),
            func.max(USES.c.occurred_at).label("last_seen_at"),
        )
        .where(USES.c.merchant_id == merchant_id, USES.c.fingerprint.is_not(None))
        .group_by(USES.c.fingerprint)
    )


def recompute_cards(session: Session, merchant_id: str, fingerprints: Collection[str] | None) -> int:
    """Card profiles of the given fingerprints (all with ``None``) from their uses; a fingerprint
    left with no use loses its profile."""
    if fingerprints is None:
        session.execute(PROFILES.delete().where(PROFILES.c.merchant_id == merchant_id))
        batches: list[Any] = [_card_totals(merchant_id)]
    else:
        fps = sorted(set(fingerprints))
        for part in chunks(fps):
            session.execute(
                PROFILES.delete().where(
                    PROFILES.c.merchant_id == merchant_id, PROFILES.c.fingerprint.in_(part)
                )
            )
        batches = [_card_totals(merchant_id).where(USES.c.fingerprint.in_(part)) for part in chunks(fps)]
    written = 0
    for stmt in batches:
        rows = [{"merchant_id": merchant_id, **r._asdict()} for r in session.execute(stmt)]
        for part in chunks(rows):
            session.execute(PROFILES.insert(), list(part))
            written += len(part)
    return written
