"""Square Payment and PaymentRefund objects for a simulated ticket, at each status they pass through."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from core.simulate.clock import sq_time
from core.simulate.model import Payment, Ticket
from core.simulate.render.square_common import APPLICATION_ID, card, money, paid_at, tendered
from core.simulate.vendor_ids import VendorIds

Json = dict[str, Any]
FEE_BP, FEE_FIXED = 260, 10  # 2.6 % + 10¢ on card payments


def fee(amount: int) -> int:
    return amount * FEE_BP // 10_000 + FEE_FIXED


def payment(ids: VendorIds, ticket: Ticket, n: int, status: str) -> Json:
    """``status``: APPROVED (card authorised), COMPLETED (captured, or cash), CANCELED (voided)."""
    p = ticket.payments[n]
    created = paid_at(ticket, p)
    updated = created + timedelta(seconds={"APPROVED": 0, "COMPLETED": 2, "CANCELED": 40}[status])
    pid = ids.payment(ticket, n)
    body: Json = {
        "id": pid,
        "created_at": sq_time(created),
        "updated_at": sq_time(updated),
        "amount_money": money(p.amount),
        "total_money": money(p.amount),
    }
    if p.method == "CASH":
        body.update(
            {
                "approved_money": money(p.amount),
                "status": "COMPLETED",
                "source_type": "CASH",
                "cash_details": {
                    "buyer_supplied_money": money(tendered(p.amount)),
                    "change_back_money": money(tendered(p.amount) - p.amount),
                },
            }
        )
    else:
        card_status = {"APPROVED": "AUTHORIZED", "COMPLETED": "CAPTURED", "CANCELED": "VOIDED"}[status]
        timeline = {"authorized_at": sq_time(created)}
        if status == "COMPLETED":
            timeline["captured_at"] = sq_time(updated)
        if status == "CANCELED":
            timeline["voided_at"] = sq_time(updated)
        body.update(
            {
                "approved_money": money(p.amount),
                "status": status,
                "source_type": "CARD",
                "card_details": {
                    "status": card_status,
                    "card": card(p),
                    "entry_method": p.entry,
                    "cvv_status": "CVV_NOT_CHECKED",
                    "avs_status": "AVS_NOT_CHECKED",
                    "statement_description": "SQ *CANARY SIM",
                    "card_payment_timeline": timeline,
                },
            }
        )
        if status == "COMPLETED":
            body["processing_fee"] = [
                {"effective_at": sq_time(updated), "type": "INITIAL", "amount_money": money(fee(p.amount))}
            ]
    body.update(_place(ids, ticket))
    if ticket.customer is not None:
        body["customer_id"] = ticket.customer.external_id
    body.update({"receipt_number": pid[:4]})
    if status == "COMPLETED":
        body["receipt_url"] = f"https://squareup.com/receipt/preview/{pid}"
    if p.method != "CASH":
        body["risk_evaluation"] = {"created_at": sq_time(created), "risk_level": "NORMAL"}
    body["version_token"] = ids.ids.mixed("version-token", f"{ticket.id_key}#{n}#{status}", 45)
    return body


def _place(ids: VendorIds, ticket: Ticket) -> Json:
    station = ticket.station
    return {
        "location_id": ticket.store.external_id,
        "order_id": ids.order(ticket),
        "team_member_id": ticket.employee.external_id,
        "device_details": {
            "device_id": station.external_id,
            "device_installation_id": ids.ids.uuid("installation", station.key),
            "device_name": station.name,
        },
        "application_details": {"square_product": "SQUARE_POS", "application_id": APPLICATION_ID},
    }


def refund(ids: VendorIds, ticket: Ticket, n: int, status: str) -> Json:
    """``status``: PENDING when created, COMPLETED when settled."""
    p = ticket.payments[n]
    created = refunded_at(ticket, p)
    updated = created + timedelta(seconds=0 if status == "PENDING" else 35)
    original = ticket.original
    body: Json = {
        "id": ids.refund(ticket, n),
        "status": status,
        "location_id": ticket.store.external_id,
        "amount_money": money(p.amount),
    }
    if original is not None:
        body["payment_id"] = ids.payment(original, min(n, max(0, len(original.payments) - 1)))
    else:
        body["unlinked"] = True
    body.update(
        {
            "order_id": ids.order(ticket),
            "reason": ticket.reason or "Returned goods",
            "created_at": sq_time(created),
            "updated_at": sq_time(updated),
            "team_member_id": ticket.employee.external_id,
            "destination_type": "CASH" if p.method == "CASH" else "CARD",
        }
    )
    if status == "COMPLETED" and p.method != "CASH":
        body["processing_fee"] = [
            {
                "effective_at": sq_time(updated),
                "type": "INITIAL",
                "amount_money": money(-fee(p.amount) + FEE_FIXED),
            }
        ]
    body["version"] = 1 if status == "PENDING" else 2
    return body


def refunded_at(ticket: Ticket, payment: Payment) -> datetime:
    return ticket.closed_at - timedelta(seconds=5) + timedelta(seconds=payment.delay)
