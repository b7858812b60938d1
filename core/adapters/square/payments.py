"""Square Payments (``payment.created`` / ``payment.updated``, and polled payments) → a ``Tender`` on
the sale's ``Transaction``.

POS sales arrive this way: Square sends no order webhook for them. Mapping decisions:
- The transaction is keyed on the payment's ORDER (``sq:order:<order_id>``), so the several payments
  of a split tender are tenders of one sale; a payment with no order stands alone
  (``sq:payment:<id>``). With a fetcher the order is fetched and supplies totals, customer and lines
  (see ``orders.py``), including the order's other tenders; the payment still supplies the till, the
  employee and the receipt number, and its own tender (richer than the order's copy).
- Without a fetcher the transaction is the payment alone: amount = ``total_money`` (tip included),
  status = payment status, type VOID for a CANCELED payment (an authorisation released) else SALE.
  Each payment of a split tender then rewrites the totals with its own; the tenders stay right.
- The tender: ``tender_no`` = payment id; ``tender_type`` from ``source_type`` (a card's type refines
  it: DEBIT, or GIFT_CARD for Square gift cards), with the vendor's ``source_type`` kept as
  ``pay_code``; card fingerprint, brand and entry method; ``authorized`` from the card status;
  ``team_member_id`` (or the deprecated ``employee_id``) → employee; ``device_details.device_id`` →
  device. Amount = ``total_money``, ``tip_cents`` = ``tip_money``. Buyer email, addresses and notes
  are never read.
- Version: the payment's ``updated_at`` (its ``version_token`` is opaque, not ordered).
"""

from __future__ import annotations

from core.adapters.square.envelope import Inbound
from core.adapters.square.fields import Money, Obj, present
from core.adapters.square.keys import (
    SQ,
    device_id,
    employee_id,
    local_wall_clock,
    location_id,
    payment_transaction_id,
)
from core.adapters.square.orders import order_sale
from core.adapters.square.transactions import SaleParts, customer_of, fetch_order, sale_outcome
from core.domain.parsing import ParseError, ParseOutcome
from core.domain.records import version_key
from core.domain.sales import Tender, Transaction, TransactionType

_AUTHORIZED = {"AUTHORIZED": True, "CAPTURED": True, "FAILED": False, "VOIDED": False}
_EXTERNAL = {"CHECK": "CHECK", "OTHER_GIFT_CARD": "GIFT_CARD", "CARD": "CARD"}


def payment_event(inbound: Inbound) -> ParseOutcome:
    return parse_payment(inbound.object("payment"), inbound)


def parse_payment(payment: Obj, inbound: Inbound) -> ParseOutcome:
    payment_id = payment.require_text("id")
    order_id = payment.text("order_id")
    tx_id = payment_transaction_id(payment_id, order_id)
    tender = payment_tender(payment, tx_id)
    order = None
    if order_id:
        order = fetch_order(inbound, payment.text("location_id"), order_id, field=payment.field("order_id"))
    enriched = order_sale(order, inbound, seen_at=payment.time("updated_at")) if order else None
    if enriched is not None:
        transaction = enriched.transaction.model_copy(update=_from_payment(payment, enriched.transaction))
        # The order's other tenders too: each payment webhook carries only its own, and Q-TM-03
        # must see a ticket split across three cards as one ticket with three tenders.
        others = [t for t in enriched.tenders if t.tender_no != tender.tender_no]
        parts = SaleParts(transaction, enriched.line_items, [tender, *others])
    else:
        parts = SaleParts(payment_transaction(payment, tx_id, inbound), (), [tender])
    return sale_outcome(inbound, [parts])


def _from_payment(payment: Obj, transaction: Transaction) -> dict[str, object]:
    """What only the payment knows, filled in where the order left it blank."""
    found = present(
        ticket_number=payment.text("receipt_number"),
        device_id=_device(payment),
        employee_id=employee_id(payment.text("team_member_id") or payment.text("employee_id")),
        customer_id=customer_of(payment),
    )
    return {name: value for name, value in found.items() if getattr(transaction, name) is None}


def payment_transaction(payment: Obj, tx_id: str, inbound: Inbound) -> Transaction:
    payment_id = payment.require_text("id")
    status = payment.text("status")
    total, tip = _total(payment), payment.cents("tip_money")
    occurred = payment.time("created_at") or inbound.occurred_at
    if occurred is None:
        raise ParseError("missing", field=payment.field("created_at"))
    location = payment.text("location_id")
    return Transaction(
        id=tx_id,
        type=TransactionType.VOID if status == "CANCELED" else TransactionType.SALE,
        source=SQ,
        source_type=inbound.source_type,
        external_id=payment.text("order_id") or payment_id,
        occurred_at=occurred,
        amount_cents=abs(total.cents),
        version_key=version_key(payment.time("updated_at") or occurred),
        **present(
            status=status,
            order_id=payment.text("order_id"),
            ticket_number=payment.text("receipt_number"),
            location_id=location_id(location),
            device_id=_device(payment),
            employee_id=employee_id(payment.text("team_member_id") or payment.text("employee_id")),
            customer_id=customer_of(payment),
            currency=total.currency,
            tip_cents=tip,
            local_occurred_at=local_wall_clock(inbound.ctx, location, occurred),
        ),
    )


def payment_tender(payment: Obj, tx_id: str) -> Tender:
    payment_id = payment.require_text("id")
    total = _total(payment)
    details = payment.child("card_details")
    card = details.child("card") if details else None
    card_status = details.text("status") if details else None
    updated = payment.time("updated_at") or payment.time("created_at")
    return Tender(
        transaction_id=tx_id,
        tender_no=payment_id,
        tender_type=_tender_type(payment, card),
        amount_cents=total.cents,
        version_key=version_key(updated),
        **present(
            pay_code=payment.text("source_type"),
            status=payment.text("status"),
            tip_cents=payment.cents("tip_money"),
            currency=total.currency,
            card_fingerprint=card.text("fingerprint") if card else None,
            card_brand=card.text("card_brand") if card else None,
            entry_method=details.text("entry_method") if details else None,
            authorized=_AUTHORIZED.get(card_status) if card_status else None,
            employee_id=employee_id(payment.text("team_member_id") or payment.text("employee_id")),
            device_id=_device(payment),
            occurred_at=payment.time("created_at"),
        ),
    )


def _total(payment: Obj) -> Money:
    total = payment.money("total_money")
    if total is not None:
        return total
    amount = payment.money("amount_money")
    if amount is None:
        raise ParseError("missing (and no total_money)", field=payment.field("amount_money"))
    tip = payment.cents("tip_money") or 0
    return Money(amount.cents + tip, amount.currency)


def _tender_type(payment: Obj, card: Obj | None) -> str:
    source_type = payment.text("source_type") or "OTHER"
    if source_type == "CARD" and card is not None:
        if card.text("card_brand") == "SQUARE_GIFT_CARD":
            return "GIFT_CARD"
        return "DEBIT" if card.text("card_type") == "DEBIT" else "CARD"
    if source_type == "EXTERNAL":
        external = payment.child("external_details")
        return _EXTERNAL.get(external.text("type") or "", "EXTERNAL") if external else "EXTERNAL"
    return source_type


def _device(payment: Obj) -> str | None:
    details = payment.child("device_details")
    if details is None:  # older API versions put it under card_details
        card = payment.child("card_details")
        details = card.child("device_details") if card else None
    return device_id(details.text("device_id")) if details else None
