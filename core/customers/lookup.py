"""Who is this customer, which customers used this card, and what are they worth (R's read side)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from core.customers.aggregates import CT, CUSTOMERS, USES, customer_totals
from core.customers.definitions import MIXED_CURRENCY, is_tombstone
from core.customers.errors import CustomerNotFoundError
from core.customers.registry import find_customer
from core.customers.results import (
    CardCustomer,
    CardLookup,
    CardProfileView,
    CustomerLookup,
    CustomerMetrics,
    CustomerSummary,
)
from core.db.tables.customers import CardProfile, Customer
from core.paging import check_limit, decode_cursor, encode_cursor

METRICS_DEFINITION = (
    "gross = sum of completed SALE amounts; refunds = sum of completed REFUND amounts; "
    "net = gross - refunds; transaction_count = completed sales; average ticket = gross / completed "
    "sales; first/last seen span every transaction naming the customer. Amounts in cents, tax included."
)


def summary(customer: Customer) -> CustomerSummary:
    forgotten = customer.forgotten_at is not None or is_tombstone(customer.id)
    return CustomerSummary(
        customer_id=customer.id,
        vendor_customer_id=None if forgotten else customer.external_id,
        source=customer.source,
        status="archived" if customer.db_status == "archived" else "active",
        forgotten=forgotten,
        tier=customer.tier,
        tax_exempt=customer.tax_exempt,
        active_since=customer.valid_from,
        archived_at=customer.archived_at,
        first_seen_at=customer.first_seen_at,
        last_seen_at=customer.last_seen_at,
        transaction_count=customer.transaction_count,
        lifetime_value_gross_cents=customer.lifetime_value_cents,
        lifetime_value_net_cents=customer.lifetime_value_net_cents,
        currency=customer.currency,
    )


def _shops_at(session: Session, merchant_id: str, customer_id: str, stores: frozenset[str]) -> bool:
    """Whether a transaction at one of ``stores`` names the customer."""
    return (
        session.execute(
            select(CT.c.transaction_id)
            .where(
                CT.c.merchant_id == merchant_id,
                CT.c.customer_id == customer_id,
                CT.c.location_id.in_(sorted(stores)),
            )
            .limit(1)
        ).first()
        is not None
    )


def require_customer(
    session: Session, merchant_id: str, ref: str, stores: frozenset[str] | None = None
) -> Customer:
    """The customer ``ref`` names; for a token limited to ``stores`` (a GM's), only one a transaction
    at those stores names: any other is "not found", exactly like an id that does not exist."""
    customer = find_customer(session, merchant_id, ref)
    if (
        customer is not None
        and stores is not None
        and not _shops_at(session, merchant_id, customer.id, stores)
    ):
        customer = None
    if customer is None:
        raise CustomerNotFoundError(
            f"No customer {ref!r} for this merchant. Pass Canary's customer_id (e.g. 'sq:customer:…') or the "
            "POS's own customer id; lookup_customer_by_card finds customers from a card fingerprint."
        )
    return customer


def lookup_customer(
    session: Session, merchant_id: str, ref: str, stores: frozenset[str] | None = None
) -> CustomerLookup:
    customer = find_customer(session, merchant_id, ref)
    if (
        customer is not None
        and stores is not None
        and not _shops_at(session, merchant_id, customer.id, stores)
    ):
        customer = None
    if customer is None:
        return CustomerLookup(
            found=False, matched_on=None, customer=None, message=f"No customer {ref!r} for this merchant."
        )
    matched = "customer_id" if customer.id == ref else "vendor_customer_id"
    view = summary(customer)
    if stores is not None:  # the figures over the token's stores, not the merchant's
        at = _totals_at(session, merchant_id, customer.id, stores)
        view = view.model_copy(
            update={
                "first_seen_at": at.first_seen,
                "last_seen_at": at.last_seen,
                "transaction_count": int(at.sales or 0),
                "lifetime_value_gross_cents": int(at.gross or 0),
                "lifetime_value_net_cents": int(at.gross or 0) - int(at.refunds or 0),
            }
        )
    return CustomerLookup(found=True, matched_on=matched, customer=view, message="found")


def lookup_by_card(
    session: Session, merchant_id: str, fingerprint: str, *, limit: int, cursor: str | None
) -> CardLookup:
    check_limit(limit)
    after = decode_cursor("card_customers", cursor, 1)
    profile = session.get(CardProfile, (merchant_id, fingerprint))
    if profile is None:
        return CardLookup(found=False, card=None, customers=[], anonymous_uses=0, next_cursor=None)
    mine = (USES.c.merchant_id == merchant_id, USES.c.fingerprint == fingerprint)
    stmt = (
        select(
            USES.c.customer_id,
            func.count().label("uses"),
            func.min(USES.c.occurred_at).label("first"),
            func.max(USES.c.occurred_at).label("last"),
        )
        .where(*mine, USES.c.customer_id.is_not(None))
        .group_by(USES.c.customer_id)
        .order_by(USES.c.customer_id)
        .limit(limit + 1)
    )
    if after is not None:
        stmt = stmt.where(USES.c.customer_id > str(after[0]))
    rows = session.execute(stmt).all()
    page = rows[:limit]
    people = {
        r.id: r
        for r in session.execute(
            select(
                CUSTOMERS.c.id,
                CUSTOMERS.c.db_status,
                CUSTOMERS.c.lifetime_value_net_cents,
                CUSTOMERS.c.currency,
            ).where(CUSTOMERS.c.merchant_id == merchant_id, CUSTOMERS.c.id.in_([r.customer_id for r in page]))
        )
    }
    anonymous = session.execute(
        select(func.count()).select_from(USES).where(*mine, USES.c.customer_id.is_(None))
    ).scalar_one()
    customers = [
        CardCustomer(
            customer_id=r.customer_id,
            uses=r.uses,
            first_used_at=r.first,
            last_used_at=r.last,
            status=people[r.customer_id].db_status if r.customer_id in people else None,
            lifetime_value_net_cents=people[r.customer_id].lifetime_value_net_cents
            if r.customer_id in people
            else None,
            currency=people[r.customer_id].currency if r.customer_id in people else None,
        )
        for r in page
    ]
    return CardLookup(
        found=True,
        card=CardProfileView(
            fingerprint=profile.fingerprint,
            card_brand=profile.card_brand,
            use_count=profile.use_count,
            customer_count=profile.customer_count,
            location_count=profile.location_count,
            first_seen_at=profile.first_seen_at,
            last_seen_at=profile.last_seen_at,
        ),
        customers=customers,
        anonymous_uses=anonymous,
        next_cursor=encode_cursor("card_customers", [page[-1].customer_id]) if len(rows) > limit else None,
    )


def customer_metrics(
    session: Session, merchant_id: str, ref: str, now: datetime, stores: frozenset[str] | None = None
) -> CustomerMetrics:
    c = require_customer(session, merchant_id, ref, stores)
    if stores is not None:
        return _metrics_at(session, merchant_id, c, now, stores)
    sales = c.transaction_count
    return CustomerMetrics(
        customer_id=c.id,
        status="archived" if c.db_status == "archived" else "active",
        currency=c.currency,
        lifetime_value_gross_cents=c.lifetime_value_cents,
        refunds_cents=c.refunds_cents,
        lifetime_value_net_cents=c.lifetime_value_net_cents,
        transaction_count=sales,
        refund_count=c.refund_count,
        average_ticket_cents=(c.lifetime_value_cents * 2 + sales) // (2 * sales) if sales else None,
        first_seen_at=c.first_seen_at,
        last_seen_at=c.last_seen_at,
        days_since_last_seen=(now - c.last_seen_at).days if c.last_seen_at else None,
        definition=METRICS_DEFINITION,
    )


def _metrics_at(
    session: Session, merchant_id: str, c: Customer, now: datetime, stores: frozenset[str]
) -> CustomerMetrics:
    """The metrics over the customer's transactions at ``stores`` only (a store-limited token's),
    by the same definition as the projection's merchant-wide figures."""
    row = _totals_at(session, merchant_id, c.id, stores)
    gross, refunds, sales = int(row.gross or 0), int(row.refunds or 0), int(row.sales or 0)
    return CustomerMetrics(
        customer_id=c.id,
        status="archived" if c.db_status == "archived" else "active",
        currency=c.currency
        if row.currency_lo is None
        else row.currency_lo
        if row.currency_lo == row.currency_hi
        else MIXED_CURRENCY,
        lifetime_value_gross_cents=gross,
        refunds_cents=refunds,
        lifetime_value_net_cents=gross - refunds,
        transaction_count=sales,
        refund_count=int(row.refund_count or 0),
        average_ticket_cents=(gross * 2 + sales) // (2 * sales) if sales else None,
        first_seen_at=row.first_seen,
        last_seen_at=row.last_seen,
        days_since_last_seen=(now - row.last_seen).days if row.last_seen else None,
        definition=METRICS_DEFINITION + " Counted over the stores this sign-in is limited to.",
    )


def _totals_at(session: Session, merchant_id: str, customer_id: str, stores: frozenset[str]) -> Any:
    return session.execute(
        customer_totals(merchant_id).where(
            CT.c.customer_id == customer_id, CT.c.location_id.in_(sorted(stores))
        )
    ).one()
