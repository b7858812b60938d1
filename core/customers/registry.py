"""The customer registry's lifecycle: find by either id, archive (soft delete), re-activate.

Effective dating: ``valid_from`` is when the current activation began and ``archived_at`` when it
ended (``NULL`` while active). Archiving never deletes; a customer named again by a transaction is
re-activated in place (same row, new ``valid_from``), so there is never a duplicate. A forgotten
customer (``forgotten_at`` set, ids tombstoned) is never re-activated: nothing can name it any more.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from core.customers.aggregates import CUSTOMERS, chunks
from core.db.tables.customers import Customer

ACTIVE, ARCHIVED = "active", "archived"


def find_customer(session: Session, merchant_id: str, ref: str) -> Customer | None:
    """By canonical id (``sq:customer:…``) or by the vendor's own customer id."""
    found = session.get(Customer, (merchant_id, ref))
    if found is not None:
        return found
    return session.exec(
        select(Customer)
        .where(col(Customer.merchant_id) == merchant_id, col(Customer.external_id) == ref)
        .order_by(col(Customer.db_status), col(Customer.id))  # an active row before an archived one
        .limit(1)
    ).first()


def archive(session: Session, merchant_id: str, customer_id: str, now: datetime) -> bool:
    result = session.execute(
        update(CUSTOMERS)
        .where(
            CUSTOMERS.c.merchant_id == merchant_id,
            CUSTOMERS.c.id == customer_id,
            CUSTOMERS.c.db_status == ACTIVE,
        )
        .values(db_status=ARCHIVED, archived_at=now, updated_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def reactivate(session: Session, merchant_id: str, customer_ids: Collection[str], now: datetime) -> int:
    """Archived (not forgotten) customers among ``customer_ids`` become active again from ``now``."""
    count = 0
    for part in chunks(sorted(customer_ids)):
        result = session.execute(
            update(CUSTOMERS)
            .where(
                CUSTOMERS.c.merchant_id == merchant_id,
                CUSTOMERS.c.id.in_(part),
                or_(CUSTOMERS.c.db_status == ARCHIVED, CUSTOMERS.c.archived_at.is_not(None)),
                CUSTOMERS.c.forgotten_at.is_(None),
            )
            .values(db_status=ACTIVE, archived_at=None, valid_from=now, updated_at=now)
        )
        count += result.rowcount  # type: ignore[attr-defined]
    return count


def sync_archive_dates(
    session: Session, merchant_id: str, customer_ids: Collection[str], now: datetime
) -> None:
    """The vendor's record sets ``db_status`` (T writes it); keep the effective dates in step with it."""
    for part in chunks(sorted(customer_ids)):
        where = (CUSTOMERS.c.merchant_id == merchant_id, CUSTOMERS.c.id.in_(part))
        session.execute(
            update(CUSTOMERS)
            .where(*where, CUSTOMERS.c.db_status == ARCHIVED, CUSTOMERS.c.archived_at.is_(None))
            .values(archived_at=now, updated_at=now)
        )
        session.execute(
            update(CUSTOMERS)
            .where(
                *where,
                CUSTOMERS.c.db_status == ACTIVE,
                CUSTOMERS.c.archived_at.is_not(None),
                CUSTOMERS.c.forgotten_at.is_(None),
            )
            .values(archived_at=None, valid_from=now, updated_at=now)
        )
