"""Customer complaints = refund reasons by customer (the seed's missing "Customer Complaints" link).

A complaint is a completed REFUND naming the customer; its reason is the refund link's reason, else
the refund transaction's own, else "(no reason given)". Counts and amounts per customer come from R's
projection (``refund_count``, ``refunds_cents``); reasons are grouped from T's canonical rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlmodel import Session

from core.customers.aggregates import CUSTOMERS
from core.customers.definitions import COMPLETED, REFUND
from core.customers.errors import InvalidArgumentError
from core.customers.lookup import require_customer
from core.customers.results import ComplaintsReport, CustomerComplaints, ReasonCount, RefundView
from core.db.tables.sales import RefundLinkRow, TransactionRow
from core.paging import check_limit, decode_cursor, encode_cursor

TXN = TransactionRow.__table__  # type: ignore[attr-defined]
LINKS = RefundLinkRow.__table__  # type: ignore[attr-defined]
C = CUSTOMERS.c
NO_REASON = "(no reason given)"
DEFINITION = (
    "A complaint is a completed REFUND transaction naming the customer; its reason is the refund's "
    f"stated reason (refund link first, then the refund transaction), or '{NO_REASON}'. Amounts in cents."
)
RECENT = 10
LIMITED = (
    "this sign-in is limited to some stores, and the list spans every store of the merchant: "
    "ask about one customer (customer=…)"
)


def _refunds(merchant_id: str, stores: frozenset[str] | None = None) -> tuple[Any, Any]:
    """The completed refunds (of ``stores`` only, for a store-limited token) and their reason."""
    joined = TXN.outerjoin(
        LINKS, and_(LINKS.c.merchant_id == TXN.c.merchant_id, LINKS.c.refund_transaction_id == TXN.c.id)
    )
    reason = func.coalesce(LINKS.c.reason, TXN.c.reason)
    where = and_(
        TXN.c.merchant_id == merchant_id,
        TXN.c.type == REFUND,
        TXN.c.status == COMPLETED,
        *([] if stores is None else [TXN.c.location_id.in_(sorted(stores))]),
    )
    return joined, (reason, where)


def _reasons(
    session: Session, merchant_id: str, customer_ids: Sequence[str], stores: frozenset[str] | None = None
) -> dict[str, list[ReasonCount]]:
    joined, (reason, where) = _refunds(merchant_id, stores)
    grouped: dict[str, list[ReasonCount]] = defaultdict(list)
    rows = session.execute(
        select(
            TXN.c.customer_id,
            reason.label("reason"),
            func.count().label("n"),
            func.sum(TXN.c.amount_cents).label("cents"),
        )
        .select_from(joined)
        .where(where, TXN.c.customer_id.in_(list(customer_ids)))
        .group_by(TXN.c.customer_id, reason)
    ).all()
    for r in sorted(rows, key=lambda r: (r.customer_id, -r.n, -(r.cents or 0), r.reason or "")):
        grouped[r.customer_id].append(
            ReasonCount(reason=r.reason or NO_REASON, refunds=r.n, refunds_cents=int(r.cents or 0))
        )
    return grouped


def customer_complaints(
    session: Session,
    merchant_id: str,
    *,
    customer_ref: str | None,
    limit: int,
    cursor: str | None,
    stores: frozenset[str] | None = None,
) -> ComplaintsReport:
    """``stores``: a store-limited token's; one customer's refunds at those stores (the ranking of
    every customer spans the merchant, so such a token asks about one customer)."""
    check_limit(limit)
    if customer_ref is not None:
        return _one(session, merchant_id, customer_ref, stores)
    if stores is not None:
        raise InvalidArgumentError(LIMITED)
    after = decode_cursor("complaints", cursor, 2)
    stmt = (
        select(C.id, C.refund_count, C.refunds_cents, C.currency)
        .where(C.merchant_id == merchant_id, C.refund_count > 0)
        .order_by(C.refunds_cents.desc(), C.id.desc())
        .limit(limit + 1)
    )
    if after is not None:
        cents, cid = int(after[0]), str(after[1])
        stmt = stmt.where(or_(C.refunds_cents < cents, and_(C.refunds_cents == cents, C.id < cid)))
    rows = session.execute(stmt).all()
    page = rows[:limit]
    reasons = _reasons(session, merchant_id, [r.id for r in page]) if page else {}
    customers = [
        CustomerComplaints(
            customer_id=r.id,
            refund_count=r.refund_count,
            refunds_cents=r.refunds_cents,
            currency=r.currency,
            reasons=reasons.get(r.id, [])[:5],
            recent_refunds=[],
        )
        for r in page
    ]
    more = len(rows) > limit
    return ComplaintsReport(
        definition=DEFINITION,
        customers=customers,
        next_cursor=encode_cursor("complaints", [page[-1].refunds_cents, page[-1].id]) if more else None,
    )


def _one(session: Session, merchant_id: str, ref: str, stores: frozenset[str] | None) -> ComplaintsReport:
    c = require_customer(session, merchant_id, ref, stores)
    joined, (reason, where) = _refunds(merchant_id, stores)
    recent = session.execute(
        select(
            TXN.c.id,
            TXN.c.occurred_at,
            TXN.c.amount_cents,
            TXN.c.currency,
            reason.label("reason"),
            LINKS.c.original_transaction_id,
        )
        .select_from(joined)
        .where(where, TXN.c.customer_id == c.id)
        .order_by(TXN.c.occurred_at.desc(), TXN.c.id.desc())
        .limit(RECENT)
    ).all()
    reasons = _reasons(session, merchant_id, [c.id], stores).get(c.id, [])
    return ComplaintsReport(
        definition=DEFINITION,
        next_cursor=None,
        customers=[
            CustomerComplaints(
                customer_id=c.id,
                refund_count=c.refund_count if stores is None else sum(r.refunds for r in reasons),
                refunds_cents=c.refunds_cents if stores is None else sum(r.refunds_cents for r in reasons),
                currency=c.currency,
                reasons=reasons,
                recent_refunds=[
                    RefundView(
                        transaction_id=r.id,
                        occurred_at=r.occurred_at,
                        amount_cents=r.amount_cents,
                        currency=r.currency,
                        reason=r.reason,
                        original_transaction_id=r.original_transaction_id,
                    )
                    for r in recent
                ],
            )
        ],
    )
