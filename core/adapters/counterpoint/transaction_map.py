"""A Counterpoint document → the shared sales model (``Transaction``, ``LineItem``, ``Tender``,
``RefundLink``), so the rules read one shape for Square and Counterpoint.

Conventions of the shared model that the vendor does not follow, applied here:
- ``Transaction`` amounts are magnitudes in the transaction's direction (what the customer paid, or
  got back); Counterpoint signs a return ticket's totals negative. Tenders follow the transaction, so
  the cash handed back on a refund is a positive REFUND tender; a tender going the other way inside
  an exchange stays negative.
- Line items keep the vendor's signs and quantities: a return line is recognised by ``line_type``.
- A quote (DOC_TYP 'Q') moves neither money nor goods and produces no ``Transaction``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.adapters.counterpoint import codes
from core.adapters.counterpoint.document_map import DocumentParts
from core.adapters.counterpoint.fields import Row, present
from core.adapters.counterpoint.keys import (
    category_id,
    customer_id,
    device_id,
    drawer_session_id,
    employee_id,
)
from core.domain.documents import Document, DocumentOrigin
from core.domain.parsing import ParseError
from core.domain.records import Canonical, Vendor
from core.domain.sales import LineItem, RefundLink, Tender, Transaction, TransactionType


@dataclass(frozen=True)
class TransactionParts:
    transaction: Transaction
    line_items: list[LineItem]
    tenders: list[Tender]
    refund_link: RefundLink | None

    def records(self) -> list[Canonical]:
        link: list[Canonical] = [self.refund_link] if self.refund_link else []
        return [self.transaction, *self.line_items, *self.tenders, *link]


def map_transaction(parts: DocumentParts, source_type: str) -> TransactionParts | None:
    doc = parts.document
    if doc.doc_type == codes.DOC_QUOTE:
        return None
    items = [_line_item(row, doc) for row in parts.lines]
    has_return = any(i.line_type == codes.RETURN_LINE for i in items) or (
        not items and bool(doc.return_lines)
    )
    has_sale = any(i.line_type != codes.RETURN_LINE for i in items) or (not items and bool(doc.sale_lines))
    total = doc.total_cents if doc.total_cents is not None else sum(i.extended_price_cents for i in items)
    kind = codes.transaction_type(
        voided=doc.voided, has_sale=has_sale, has_return=has_return, total_cents=total
    )
    sign = -1 if total < 0 else 1
    device = device_id(doc.store_id, doc.station_id) if doc.station_id else None
    employee = employee_id(doc.user_id) if doc.user_id else None
    discounts = [c for c in (doc.header_discount_cents, doc.line_discount_cents) if c is not None]
    transaction = Transaction(
        id=doc.id,
        type=kind,
        source=Vendor.COUNTERPOINT,
        source_type=source_type,
        external_id=doc.external_id,
        occurred_at=doc.occurred_at,
        amount_cents=abs(total),
        version_key=doc.version_key,
        status=codes.transaction_status(
            voided=doc.voided,
            doc_type=doc.doc_type,
            posted=doc.origin == DocumentOrigin.HISTORY,
            amount_due_cents=doc.amount_due_cents,
        ),
        **present(
            ticket_number=doc.ticket_number,
            location_id=doc.location_id,
            device_id=device,
            employee_id=employee,
            customer_id=_customer(doc.customer_no),
            drawer_session_id=drawer_session_id(doc.store_id, doc.drawer_session_id)
            if doc.drawer_session_id
            else None,
            subtotal_cents=_signed(sign, doc.subtotal_cents),
            tax_cents=_signed(sign, doc.tax_cents),
            discount_cents=sign * sum(discounts) if discounts else None,
            local_occurred_at=doc.local_occurred_at,
            committed_at=_commit_time(parts),
        ),
    )
    tenders = [_tender(row, doc, sign, device, employee) for row in parts.payments]
    return TransactionParts(transaction, items, tenders, _refund_link(parts, kind))


COMMIT_WORDS = ("commit",)  # audit-log text (lower case) that records the commit


def _commit_time(parts: DocumentParts) -> datetime | None:
    """Counterpoint publishes no commit time (docs/counterpoint.md, "Commit time"): it is the time of
    the document's last audit-log entry whose text records the commit ("Committed ticket"). TKT_DT is
    not it (in NCR's sample it comes a second after "Entered a new ticket": the ticket's start). A
    document whose audit log records no commit, or a void, has none."""
    if parts.document.voided:
        return None
    times = [
        e.occurred_at
        for e in parts.audit_log
        if e.occurred_at is not None and any(w in (e.log_entry or "").lower() for w in COMMIT_WORDS)
    ]
    return max(times) if times else None


def _customer(customer_no: str | None) -> str | None:
    if customer_no is None or customer_no.upper() == codes.WALK_IN_CUSTOMER:
        return None
    return customer_id(customer_no)


def _signed(sign: int, cents: int | None) -> int | None:
    return None if cents is None else sign * cents


def _line_item(row: Row, doc: Document) -> LineItem:
    category = row.text("CATEG_COD")
    return LineItem(
        transaction_id=doc.id,
        line_no=row.require_key("LIN_SEQ_NO"),
        version_key=doc.version_key,
        **present(
            line_type=codes.line_type(row.text("LIN_TYP")),
            item_id=row.text("ITEM_NO"),
            category_id=category_id(category) if category else None,
            description=row.text("DESCR"),
            quantity=row.number("QTY_SOLD"),
            unit_price_cents=row.cents("PRC"),
            regular_price_cents=row.cents("REG_PRC") if row.has("REG_PRC") else row.cents("PRC_1"),
            unit_cost_cents=row.cents("UNIT_COST"),
            extended_price_cents=row.cents("EXT_PRC"),
            extended_cost_cents=row.cents("EXT_COST"),
            discount_cents=_line_discount(row),
            price_overridden=row.flag("HAS_PRC_OVRD"),
            override_reason=row.text("PRC_OVRD_REAS"),
            mix_match_code=row.text("MIX_MATCH_COD"),
            discountable=row.flag("IS_DISCNTBL"),
        ),
    )


def _line_discount(row: Row) -> int | None:
    """[P] LIN_DISC_AMT where the payload has it (history lines); otherwise the gap between the gross
    and the net extended price [S names, I meaning]. Magnitudes, so a return line reads the same."""
    if row.has("LIN_DISC_AMT"):
        return abs(row.cents("LIN_DISC_AMT") or 0)
    gross, net = row.cents("GROSS_EXT_PRC"), row.cents("EXT_PRC")
    if gross is None or net is None:
        return None
    return max(abs(gross) - abs(net), 0)


def _tender(row: Row, doc: Document, sign: int, device: str | None, employee: str | None) -> Tender:
    """PS_DOC_PMT. Signature capture (SIG_IMG, SIG_IMG_VECTOR) and card numbers are never read."""
    amount = row.cents("AMT")
    if amount is None:
        raise ParseError("missing", field=row.field("AMT"))
    return Tender(
        transaction_id=doc.id,
        tender_no=row.require_key("PMT_SEQ_NO"),
        tender_type=codes.tender_type(row.text("PAY_COD_TYP")),
        amount_cents=sign * amount,
        occurred_at=doc.occurred_at,
        version_key=doc.version_key,
        **present(
            pay_code=row.text("PAY_COD"),
            entry_method=codes.entry_method(row.flag("SWIPED")),
            new_card=row.flag("CARD_IS_NEW"),
            authorized=codes.authorized(row.text("EDC_AUTH_FLG")),
            employee_id=employee,
            device_id=device,
        ),
    )


def _refund_link(parts: DocumentParts, kind: TransactionType) -> RefundLink | None:
    """A refund or exchange that names its original document. The first resolvable reference wins;
    every reference is kept in ``original_doc_refs``."""
    refs = parts.original_doc_refs or []
    if kind not in (TransactionType.REFUND, TransactionType.EXCHANGE) or not refs:
        return None
    chosen = next((r for r in refs if r.original_transaction_id), refs[0])
    return RefundLink(
        refund_transaction_id=parts.document.id,
        version_key=parts.document.version_key,
        **present(original_transaction_id=chosen.original_transaction_id),
    )
