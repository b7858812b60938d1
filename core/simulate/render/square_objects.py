"""Square's money objects for a simulated ticket: the Order (sale, canceled sale or return order),
its Payments and PaymentRefunds, in the field shapes of Square's API (fixtures/square SCHEMAS.md).

A sale is one Order with one Payment per tender; a card payment is APPROVED when created and
COMPLETED (CAPTURED) seconds later, or CANCELED (VOIDED) when the sale is voided. A return is a
return Order whose ``returns[].source_order_id`` names the sale, plus a PaymentRefund per tender
whose ``order_id`` is that return order (docs/square.md, envelope).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from core.simulate.clock import sq_time
from core.simulate.model import Line, Payment, Ticket
from core.simulate.pricing import round_half_up
from core.simulate.render.square_common import card, money, paid_at, tendered
from core.simulate.vendor_ids import VendorIds

Json = dict[str, Any]


def line_taxes(ticket: Ticket) -> list[list[int]]:
    """Each authority's tax spread over the lines by their net amount; the last line takes the
    rounding. ``[line][authority]`` in cents."""
    shares = [[0] * len(ticket.taxes) for _ in ticket.lines]
    base = sum(abs(li.ext) for li in ticket.lines) or 1
    for a, (_authority, _taxable, tax) in enumerate(ticket.taxes):
        given = 0
        for n, li in enumerate(ticket.lines):
            part = (
                abs(tax) - given
                if n == len(ticket.lines) - 1
                else round_half_up(abs(tax) * abs(li.ext), base)
            )
            shares[n][a] = part
            given += part
    return shares


def _tax_uid(ids: VendorIds, ticket: Ticket, a: int) -> str:
    return ids.ids.uuid("tax", f"{ticket.id_key}#{a}")


def _discount_name(line: Line) -> str:
    if line.override:
        return f"Manual discount ({line.reason or 'price override'})"
    return line.just


def order(ids: VendorIds, ticket: Ticket, version: int = 4) -> Json:
    """A sale Order (state COMPLETED, or CANCELED for a voided authorisation) or a return Order."""
    taxes = line_taxes(ticket)
    created = ticket.at
    location = ticket.store.external_id
    body: Json = {
        "id": ids.order(ticket),
        "location_id": location,
        "source": {"name": "Square Point of Sale"},
    }
    if ticket.customer is not None:
        body["customer_id"] = ticket.customer.external_id
    items = [_line(ids, ticket, n, li, taxes[n]) for n, li in enumerate(ticket.lines)]
    tax_money = sum(sum(row) for row in taxes)
    discount = sum(li.discount for li in ticket.lines)
    order_taxes = [
        {
            "uid": _tax_uid(ids, ticket, a),
            "name": f"{authority.name} sales tax",
            "percentage": f"{authority.rate_bp / 100:g}",
            "type": "ADDITIVE",
            "scope": "ORDER",
            "applied_money": money(sum(row[a] for row in taxes)),
        }
        for a, (authority, _t, _x) in enumerate(ticket.taxes)
    ]
    total = abs(ticket.subtotal) + tax_money
    if ticket.refund:
        body["returns"] = [_return(ids, ticket, items, order_taxes, total, tax_money, discount)]
        body["return_amounts"] = _amounts(total, tax_money, discount)
        body["refunds"] = [_order_refund(ids, ticket, n, p) for n, p in enumerate(ticket.payments)]
        body["net_amounts"] = _amounts(-total, -tax_money, -discount)
        totals = _amounts(0, 0, 0)
    else:
        body["line_items"] = items
        body["taxes"] = order_taxes
        discounts = [
            {
                "uid": ids.ids.uuid("discount", f"{ticket.id_key}#{n}"),
                "name": _discount_name(li),
                "type": "VARIABLE_AMOUNT",
                "amount_money": money(li.discount),
                "applied_money": money(li.discount),
                "scope": "LINE_ITEM",
            }
            for n, li in enumerate(ticket.lines)
            if li.discount > 0
        ]
        if discounts:
            body["discounts"] = discounts
        if not ticket.canceled:
            body["tenders"] = [_tender(ids, ticket, n, p) for n, p in enumerate(ticket.payments)]
        body["net_amounts"] = _amounts(total, tax_money, discount)
        totals = _amounts(total, tax_money, discount)
    closed = ticket.closed_at + timedelta(seconds=30 if ticket.canceled else 0)
    body.update(
        {
            "created_at": sq_time(created),
            "updated_at": sq_time(closed),
            "closed_at": sq_time(closed),
            "state": "CANCELED" if ticket.canceled else "COMPLETED",
            "version": version,
            "total_money": totals["total_money"],
            "total_tax_money": totals["tax_money"],
            "total_discount_money": totals["discount_money"],
            "total_tip_money": money(0),
            "total_service_charge_money": money(0),
            "net_amount_due_money": money(0),
        }
    )
    return body


def _amounts(total: int, tax: int, discount: int) -> Json:
    return {
        "total_money": money(total),
        "tax_money": money(tax),
        "discount_money": money(discount),
        "tip_money": money(0),
        "service_charge_money": money(0),
    }


def _line(ids: VendorIds, ticket: Ticket, n: int, line: Line, taxes: list[int]) -> Json:
    body: Json = {
        "uid": ids.line_uid(ticket, n),
        "catalog_object_id": line.item.square_id,
        "catalog_version": 1,
        "quantity": str(line.qty),
        "name": line.item.name,
        "variation_name": "Regular",
        "item_type": "ITEM",
        "base_price_money": money(line.reg_price),
    }
    if line.discount > 0 and not ticket.refund:
        body["applied_discounts"] = [
            {
                "uid": ids.ids.uuid("applied-discount", f"{ticket.id_key}#{n}"),
                "discount_uid": ids.ids.uuid("discount", f"{ticket.id_key}#{n}"),
                "applied_money": money(line.discount),
            }
        ]
    body["applied_taxes"] = [
        {
            "uid": ids.ids.uuid("applied-tax", f"{ticket.id_key}#{n}#{a}"),
            "tax_uid": _tax_uid(ids, ticket, a),
            "applied_money": money(amount),
        }
        for a, amount in enumerate(taxes)
    ]
    gross = "gross_return_money" if ticket.refund else "gross_sales_money"
    body.update(
        {
            gross: money(line.qty * line.reg_price),
            "total_tax_money": money(sum(taxes)),
            "total_discount_money": money(line.discount),
            "total_money": money(abs(line.ext) + sum(taxes)),
        }
    )
    if ticket.refund:
        original = ticket.original
        if original is not None and ticket.link_original and line.source is not None:
            body["source_line_item_uid"] = ids.line_uid(original, line.source)
        body.pop("applied_discounts", None)
    return body


def _return(
    ids: VendorIds, ticket: Ticket, items: list[Json], taxes: list[Json], total: int, tax: int, discount: int
) -> Json:
    body: Json = {"uid": ids.ids.uuid("return", ticket.id_key)}
    if ticket.original is not None and ticket.link_original:
        body["source_order_id"] = ids.order(ticket.original)
    body.update(
        {"return_line_items": items, "return_taxes": taxes, "return_amounts": _amounts(total, tax, discount)}
    )
    return body


def _order_refund(ids: VendorIds, ticket: Ticket, n: int, payment: Payment) -> Json:
    original = ticket.original
    body: Json = {"id": ids.refund(ticket, n), "location_id": ticket.store.external_id}
    if original is not None:
        body["transaction_id"] = ids.order(original)
        body["tender_id"] = ids.payment(original, min(n, max(0, len(original.payments) - 1)))
    body.update(
        {
            "created_at": sq_time(ticket.closed_at),
            "reason": ticket.reason or "Returned goods",
            "amount_money": money(payment.amount),
            "status": "APPROVED",
        }
    )
    return body


def _tender(ids: VendorIds, ticket: Ticket, n: int, payment: Payment) -> Json:
    body: Json = {
        "id": ids.payment(ticket, n),
        "location_id": ticket.store.external_id,
        "transaction_id": ids.order(ticket),
        "created_at": sq_time(paid_at(ticket, payment)),
        "amount_money": money(payment.amount),
        "type": "CASH" if payment.method == "CASH" else "CARD",
    }
    if ticket.customer is not None:
        body["customer_id"] = ticket.customer.external_id
    if payment.method == "CASH":
        body["cash_details"] = {
            "buyer_tendered_money": money(tendered(payment.amount)),
            "change_back_money": money(tendered(payment.amount) - payment.amount),
        }
    else:
        body["card_details"] = {"status": "CAPTURED", "card": card(payment), "entry_method": payment.entry}
    body["payment_id"] = ids.payment(ticket, n)
    return body
