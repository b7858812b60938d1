"""A customer's transactions with their lines and tenders, newest first, a keyset page at a time.

Read from T's canonical tables (the truth, not R's lagging projection), by the customer id index.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import and_, or_, select
from sqlmodel import Session

from core.customers.lookup import require_customer
from core.customers.results import CustomerHistory, LineView, TenderView, TransactionView
from core.db.tables.sales import LineItemRow, TenderRow, TransactionRow
from core.paging import as_datetime, check_limit, decode_cursor, encode_cursor

TXN = TransactionRow.__table__  # type: ignore[attr-defined]
LINES = LineItemRow.__table__  # type: ignore[attr-defined]
TENDERS = TenderRow.__table__  # type: ignore[attr-defined]
MAX_LINES = 50  # per transaction; a bigger basket is flagged as truncated


def customer_history(
    session: Session,
    merchant_id: str,
    ref: str,
    *,
    limit: int,
    cursor: str | None,
    stores: frozenset[str] | None = None,
) -> CustomerHistory:
    """``stores``: a store-limited token's; only the transactions at those stores."""
    check_limit(limit)
    after = decode_cursor("history", cursor, 2)
    customer = require_customer(session, merchant_id, ref, stores)
    only = [] if stores is None else [TXN.c.location_id.in_(sorted(stores))]
    stmt = (
        select(TXN)
        .where(TXN.c.merchant_id == merchant_id, TXN.c.customer_id == customer.id, *only)
        .order_by(TXN.c.occurred_at.desc(), TXN.c.id.desc())
        .limit(limit + 1)
    )
    if after is not None:
        when, txn_id = as_datetime(after[0]), str(after[1])
        stmt = stmt.where(or_(TXN.c.occurred_at < when, and_(TXN.c.occurred_at == when, TXN.c.id < txn_id)))
    rows = session.execute(stmt).all()
    page = rows[:limit]
    ids = [r.id for r in page]
    lines: dict[str, list[Any]] = defaultdict(list)
    tenders: dict[str, list[Any]] = defaultdict(list)
    if ids:
        for line in session.execute(
            select(LINES)
            .where(LINES.c.merchant_id == merchant_id, LINES.c.transaction_id.in_(ids))
            .order_by(LINES.c.transaction_id, LINES.c.line_no)
        ):
            lines[line.transaction_id].append(line)
        for tender in session.execute(
            select(TENDERS)
            .where(TENDERS.c.merchant_id == merchant_id, TENDERS.c.transaction_id.in_(ids))
            .order_by(TENDERS.c.transaction_id, TENDERS.c.tender_no)
        ):
            tenders[tender.transaction_id].append(tender)
    views = [_view(r, lines[r.id], tenders[r.id]) for r in page]
    last = page[-1] if page else None
    return CustomerHistory(
        customer_id=customer.id,
        transactions=views,
        next_cursor=encode_cursor("history", [last.occurred_at, last.id])
        if last and len(rows) > limit
        else None,
    )


def _view(txn: Any, lines: list[Any], tenders: list[Any]) -> TransactionView:
    return TransactionView(
        transaction_id=txn.id,
        type=txn.type,
        status=txn.status,
        occurred_at=txn.occurred_at,
        amount_cents=txn.amount_cents,
        currency=txn.currency,
        location_id=txn.location_id,
        device_id=txn.device_id,
        employee_id=txn.employee_id,
        reason=txn.reason,
        line_items=[
            LineView(
                line_no=li.line_no,
                line_type=li.line_type,
                item_id=li.item_id,
                category_id=li.category_id,
                description=li.description,
                quantity=li.quantity,
                unit_price_cents=li.unit_price_cents,
                extended_price_cents=li.extended_price_cents,
                discount_cents=li.discount_cents,
            )
            for li in lines[:MAX_LINES]
        ],
        line_items_truncated=len(lines) > MAX_LINES,
        tenders=[
            TenderView(
                tender_type=t.tender_type,
                status=t.status,
                amount_cents=t.amount_cents,
                card_brand=t.card_brand,
                card_fingerprint=t.card_fingerprint,
                entry_method=t.entry_method,
            )
            for t in tenders
        ],
    )
