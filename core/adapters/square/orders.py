"""Square Orders → ``Transaction`` + ``LineItem``s.

An order is the receipt: its lines, totals and customer. POS sales do not send it (``order.created``
fires only for the CreateOrder API and both order webhooks carry a summary), so the order is fetched
through ``ParseContext.fetch`` when a payment, refund or order event names it, or arrives whole in a
polled document.

Mapping decisions:
- ``order.created`` / ``order.updated`` with a fetcher: the fetched order becomes the transaction.
  Without one they are Ignored: the summary has no amounts or lines, and the sale is recorded from
  its payment events anyway.
- Type: CANCELED → VOID; sale lines and returns together → EXCHANGE; only returns → a return order,
  which is recorded with its refund (``refund.*`` keys the REFUND transaction on the refund), so it is
  not a second transaction here; otherwise SALE. ``status`` is the order state verbatim.
- Amounts are magnitudes: ``total_money`` (tax and tip included), or for an exchange the net total;
  subtotal = total − tax − tip; ``discount_cents`` = ``total_discount_money``.
- Lines keep the vendor's uid as ``line_no``; quantity is the decimal string as a float;
  ``unit_price_cents`` = ``base_price_money``; ``extended_price_cents`` = gross sales − line discount
  (net, before tax, as Counterpoint's EXT_PRC); ``tax_cents`` = the line's tax. A CUSTOM_AMOUNT line
  (no catalog item, price typed at the till) is ``user_entered_price``. Return lines are ``RETURN``
  with ``source_line_ref`` = ``<original transaction id>/<original line uid>``, and
  ``validated_return`` says whether they name that original line; ``item_type`` is kept as sent.
- Tenders: the order's ``tenders`` (every payment of the ticket, however many webhooks brought them),
  ``tender_no`` = the tender's ``payment_id`` (or its id), as a payment's own tender is numbered, so
  the two describe one row; a split ticket is seen whole as soon as its order is.
- Version: the order's ``updated_at`` and ``version``; a payment that triggered the fetch can raise the
  time (never lower it), so a payment-only record of a later payment cannot lose to an older order.
"""

from __future__ import annotations

from datetime import datetime

from core.adapters.square.envelope import Inbound
from core.adapters.square.fields import Obj, clip, latest, present
from core.adapters.square.keys import SQ, local_wall_clock, location_id, order_transaction_id
from core.adapters.square.transactions import SaleParts, customer_of, fetch_order, sale_outcome
from core.domain.parsing import Ignored, ParseError, ParseOutcome
from core.domain.records import version_key
from core.domain.sales import LineItem, Tender, Transaction, TransactionType

RETURN_ORDER = "return order: recorded with its refund, whose transaction carries the returned lines"


def order_event(inbound: Inbound) -> ParseOutcome:
    summary = inbound.object(inbound.type.replace(".", "_"))
    order_id = summary.require_text("order_id")
    order = fetch_order(inbound, summary.text("location_id"), order_id, field=summary.field("order_id"))
    if order is None:
        return Ignored("order webhooks carry only a summary; the order is fetched with its payment")
    return parse_order(order, inbound)


def parse_order(order: Obj, inbound: Inbound) -> ParseOutcome:
    parts = order_sale(order, inbound)
    return Ignored(RETURN_ORDER) if parts is None else sale_outcome(inbound, [parts])


def order_kind(order: Obj) -> TransactionType | None:
    has_sale, has_return = bool(order.children("line_items")), bool(order.children("returns"))
    if order.text("state") == "CANCELED":
        return TransactionType.VOID
    if has_return:
        return TransactionType.EXCHANGE if has_sale else None
    return TransactionType.SALE


def order_sale(order: Obj, inbound: Inbound, *, seen_at: datetime | None = None) -> SaleParts | None:
    """The order as a transaction, or ``None`` for a pure return order. ``seen_at`` is the updated
    time of the event that caused the fetch (it only ever raises the version time)."""
    kind = order_kind(order)
    if kind is None:
        return None
    order_id = order.require_text("id")
    tx_id = order_transaction_id(order_id)
    location = order.text("location_id")
    occurred = order.time("created_at") or inbound.occurred_at
    if occurred is None:
        raise ParseError("missing", field=order.field("created_at"))
    stamp = version_key(latest(order.time("updated_at"), seen_at), order.integer("version"))
    total = order.money("total_money")
    if kind is TransactionType.EXCHANGE:
        net = order.child("net_amounts")
        total = (net.money("total_money") if net else None) or total
    tax, tip = order.cents("total_tax_money"), order.cents("total_tip_money")
    amount = abs(total.cents) if total else 0
    transaction = Transaction(
        id=tx_id,
        type=kind,
        source=SQ,
        source_type=inbound.source_type,
        external_id=order_id,
        order_id=order_id,
        occurred_at=occurred,
        amount_cents=amount,
        version_key=stamp,
        **present(
            status=order.text("state"),
            location_id=location_id(location),
            customer_id=customer_of(order),
            currency=total.currency if total else None,
            subtotal_cents=amount - (tax or 0) - (tip or 0) if total else None,
            tax_cents=tax,
            discount_cents=order.cents("total_discount_money"),
            tip_cents=tip,
            local_occurred_at=local_wall_clock(inbound.ctx, location, occurred),
            committed_at=order.time("closed_at"),
        ),
    )
    return SaleParts(transaction, order_lines(order, tx_id, stamp), order_tenders(order, tx_id, stamp))


_TENDER_TYPES = {"SQUARE_GIFT_CARD": "GIFT_CARD", "THIRD_PARTY_CARD": "CARD"}


def order_tenders(order: Obj, tx_id: str, stamp: str) -> list[Tender]:
    """The order's tenders, one per payment; a tender with no id or amount is not a payment."""
    out = []
    for row in order.children("tenders"):
        number = row.text("payment_id") or row.text("id")
        amount = row.money("amount_money")
        if not number or amount is None:
            continue
        details = row.child("card_details")
        card = details.child("card") if details else None
        kind = row.text("type") or "OTHER"
        if kind == "CARD" and card is not None and card.text("card_type") == "DEBIT":
            kind = "DEBIT"
        out.append(
            Tender(
                transaction_id=tx_id,
                tender_no=number,
                tender_type=_TENDER_TYPES.get(kind, kind),
                amount_cents=amount.cents,
                version_key=stamp,
                **present(
                    pay_code=row.text("type"),
                    status=details.text("status") if details else None,
                    tip_cents=row.cents("tip_money"),
                    currency=amount.currency,
                    card_fingerprint=card.text("fingerprint") if card else None,
                    card_brand=card.text("card_brand") if card else None,
                    entry_method=details.text("entry_method") if details else None,
                    occurred_at=row.time("created_at"),
                ),
            )
        )
    return out


def order_lines(order: Obj, tx_id: str, stamp: str, *, returns_only: bool = False) -> list[LineItem]:
    """Sale lines then return lines (``returns_only`` for a refund's return order)."""
    lines = (
        []
        if returns_only
        else [
            _line(row, tx_id, stamp, f"line:{index}", "SALE", None)
            for index, row in enumerate(order.children("line_items"))
        ]
    )
    for r_index, ret in enumerate(order.children("returns")):
        source = ret.text("source_order_id")
        for index, row in enumerate(ret.children("return_line_items")):
            original = row.text("source_line_item_uid")
            ref = f"{order_transaction_id(source)}/{original}" if source and original else None
            lines.append(_line(row, tx_id, stamp, f"return:{r_index}:{index}", "RETURN", ref))
    return lines


def _line(row: Obj, tx_id: str, stamp: str, fallback_no: str, line_type: str, ref: str | None) -> LineItem:
    quantity = row.decimal("quantity")
    if quantity is None:
        raise ParseError("missing", field=row.field("quantity"))
    unit = row.cents("base_price_money")
    gross = row.cents("gross_sales_money")
    if gross is None:
        gross = row.cents("gross_return_money")
    if gross is None and unit is not None:
        gross = round(unit * quantity)
    discount = row.cents("total_discount_money")
    return LineItem(
        transaction_id=tx_id,
        line_no=row.text("uid") or fallback_no,
        line_type=line_type,
        quantity=quantity,
        version_key=stamp,
        **present(
            item_id=row.text("catalog_object_id"),
            description=clip(row.text("name"), 200),
            unit_price_cents=unit,
            extended_price_cents=None if gross is None else gross - (discount or 0),
            discount_cents=discount,
            tax_cents=row.cents("total_tax_money"),
            source_line_ref=ref,
            # A return line that names the sale line it returns was looked up, not keyed in.
            validated_return=(ref is not None) if line_type == "RETURN" else None,
            # A custom-amount line has no catalog price: the cashier typed it.
            user_entered_price=True if row.text("item_type") == "CUSTOM_AMOUNT" else None,
            item_type=row.text("item_type"),
        ),
    )
