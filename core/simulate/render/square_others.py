"""Square's non-money objects: customers, loyalty accounts and events, team members, devices, payouts,
disputes, and cash drawer shifts with their events. Shapes follow the official examples; customer
names and phone numbers are fake, and Canary must still hash them (docs/design.md, tenancy)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from core.simulate.clock import sq_time, sq_time_seconds
from core.simulate.model import DrawerSession, Ticket
from core.simulate.render.square_common import money
from core.simulate.vendor_ids import VendorIds
from core.simulate.world import Customer, Employee, Station, Store

Json = dict[str, Any]
PROGRAM_ID = "5216e8b2-d43e-41e2-9ed8-eccf3e892aef"  # one loyalty program per merchant


def customer(c: Customer, version: int, at: datetime) -> Json:
    body: Json = {
        "address": {"address_line_1": f"{100 + int(c.phone[-3:])} Elm Street", "postal_code": c.phone[-5:]},
        "created_at": sq_time(c.created_at),
        "creation_source": "DIRECTORY",
        "email_address": c.email,
        "family_name": c.last,
        "given_name": c.first,
        "id": c.external_id,
        "phone_number": c.phone,
        "preferences": {"email_unsubscribed": version > 0},
        "updated_at": sq_time(at),
        "version": version,
    }
    if c.tier != "RETAIL":
        body["company_name"] = f"{c.last} {'Landscaping' if c.tier == 'LANDSCAPER' else 'Supply'}"
    return body


def loyalty_account(ids: VendorIds, c: Customer) -> Json:
    account = ids.loyalty_account(c)
    stamp = sq_time_seconds(c.created_at)
    return {
        "balance": 0,
        "created_at": stamp,
        "customer_id": c.external_id,
        "enrolled_at": stamp,
        "id": account,
        "lifetime_points": 0,
        "mapping": {"created_at": stamp, "id": ids.ids.uuid("mapping", c.key), "phone_number": c.phone},
        "program_id": PROGRAM_ID,
        "updated_at": stamp,
    }


def loyalty_event(ids: VendorIds, ticket: Ticket, at: datetime) -> Json:
    assert ticket.customer is not None
    points = max(1, ticket.total // 100)
    return {
        "accumulate_points": {
            "loyalty_program_id": PROGRAM_ID,
            "points": points,
            "order_id": ids.order(ticket),
        },
        "created_at": sq_time_seconds(at),
        "id": ids.ids.uuid("loyalty-event", ticket.id_key),
        "location_id": ticket.store.external_id,
        "loyalty_account_id": ids.loyalty_account(ticket.customer),
        "source": "SQUARE",
        "type": "ACCUMULATE_POINTS",
    }


def team_member(e: Employee, at: datetime) -> Json:
    return {
        "assigned_locations": {"assignment_type": "EXPLICIT_LOCATIONS"},
        "created_at": sq_time(at),
        "email_address": e.email,
        "family_name": e.last,
        "given_name": e.first,
        "id": e.external_id,
        "is_owner": False,
        "phone_number": e.phone,
        "reference_id": e.key,
        "status": "ACTIVE",
        "updated_at": sq_time(at),
    }


def device(ids: VendorIds, station: Station, store: Store, merchant: str, at: datetime) -> Json:
    uuid = station.external_id.removeprefix("device:")
    return {
        "attributes": {
            "manufacturer": "SQUARE",
            "manufacturers_id": uuid,
            "merchant_token": merchant,
            "model": "Square Register" if station.kind != "event" else "Square Terminal",
            "name": f"{store.name} - {station.name}",
            "type": "TERMINAL",
            "updated_at": sq_time(at),
            "version": "6.72",
        },
        "components": [
            {
                "application_details": {
                    "application_type": "SQUARE_POS",
                    "device_code_id": ids.ids.upper("device-code", station.key),
                    "session_location": store.external_id,
                    "version": "6.72",
                },
                "type": "APPLICATION",
            },
            {"type": "CARD_READER", "card_reader_details": {"version": "8.5.6"}},
        ],
        "id": station.external_id,
        "status": "AVAILABLE",
    }


def payout(ids: VendorIds, store: Store, key: str, amount: int, at: datetime, arrival: str) -> Json:
    return {
        "amount_money": money(amount),
        "arrival_date": arrival,
        "created_at": sq_time_seconds(at),
        "destination": {"id": f"bact:{ids.ids.mixed('bank', store.key, 12)}", "type": "BANK_ACCOUNT"},
        "id": f"po_{ids.ids.uuid('payout', key)}",
        "location_id": store.external_id,
        "status": "PAID",
        "type": "BATCH",
        "updated_at": sq_time(at),
        "version": 2,
    }


def dispute(ids: VendorIds, ticket: Ticket, at: datetime) -> Json:
    brand = ticket.payments[0].card.brand if ticket.payments and ticket.payments[0].card else "VISA"
    return {
        "amount_money": money(ticket.payments[0].amount),
        "brand_dispute_id": ids.ids.mixed("brand", ticket.key, 22),
        "card_brand": brand,
        "created_at": sq_time(at),
        "disputed_payment": {"payment_id": ids.payment(ticket, 0)},
        "due_at": sq_time(at + timedelta(days=14)),
        "id": ids.ids.mixed("dispute", ticket.key, 20),
        "location_id": ticket.store.external_id,
        "reason": "NOT_AS_DESCRIBED",
        "reported_at": sq_time(at.replace(hour=0, minute=0, second=0, microsecond=0)),
        "state": "EVIDENCE_REQUIRED",
        "updated_at": sq_time(at),
        "version": 1,
    }


def shift(ids: VendorIds, session: DrawerSession, as_of: datetime | None = None) -> Json:
    """The CashDrawerShift as a poll at ``as_of`` would see it (default: finally closed). A
    reactivated shift is CLOSED at its first close, OPEN again after ``reopened_at``."""
    events = [e for e in session.events if as_of is None or e.at <= as_of]
    reopened = session.reopened_at is not None and (as_of is None or as_of >= session.reopened_at)
    still_open = (
        reopened and as_of is not None and session.reclosed_at is not None and as_of < session.reclosed_at
    )
    closed = session.final_close if reopened else session.closed_at

    def flow(kind: str) -> int:
        return sum(e.amount for e in events if e.type == kind)

    expected = (
        session.opening_cash
        + flow("CASH_TENDER_PAYMENT")
        - flow("CASH_TENDER_REFUND")
        + flow("PAID_IN")
        - flow("PAID_OUT")
    )
    body: Json = {
        "cash_paid_in_money": money(flow("PAID_IN")),
        "cash_paid_out_money": money(-flow("PAID_OUT")),
        "cash_payment_money": money(flow("CASH_TENDER_PAYMENT")),
        "cash_refunds_money": money(-flow("CASH_TENDER_REFUND")),
    }
    if not still_open:
        body["closed_at"] = sq_time(closed)
        body["closed_cash_money"] = money(expected + session.variance)
        body["closing_team_member_id"] = session.closer.external_id
        body["ended_at"] = sq_time(closed - timedelta(seconds=40))
        body["ending_team_member_id"] = session.closer.external_id
    body.update(
        {
            "created_at": sq_time(session.opened_at),
            "description": session.description,
            "device": {"id": session.station.external_id, "name": session.station.name},
            "expected_cash_money": money(expected),
            "id": ids.shift(session),
            "location_id": session.store.external_id,
            "opened_at": sq_time(session.opened_at),
            "opened_cash_money": money(session.opening_cash),
            "opening_team_member_id": session.opener.external_id,
            "state": "OPEN" if still_open else "CLOSED",
            "team_member_ids": [e.external_id for e in session.members],
            "updated_at": sq_time(as_of if still_open and as_of else closed),
        }
    )
    return body


def shift_events(ids: VendorIds, session: DrawerSession, as_of: datetime | None = None) -> list[Json]:
    return [
        {
            "created_at": sq_time(e.at),
            "description": e.description,
            "event_money": money(e.amount),
            "event_type": e.type,
            "id": ids.drawer_event(e.key),
            "team_member_id": e.employee.external_id,
        }
        for e in session.events
        if as_of is None or e.at <= as_of
    ]
