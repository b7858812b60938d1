"""Polled Square cash drawer shifts → ``DrawerShift``, its ``DrawerEvent``s, and a ``Transaction`` for
each event that is a till operation in its own right (NO_SALE, PAID_IN, PAID_OUT).

Square has no drawer webhook: shifts arrive only as documents Canary wrote while polling
(``polling.py``), the shift as ``object`` and its events as ``events``; the list call is per
location, so the document's ``canary_polled.location_id`` supplies the location the shift omits.

Mapping decisions:
- Amounts are magnitudes: the official example has ``cash_refunds_money`` -100 and
  ``cash_paid_out_money`` -10000 although the docs say "always >= 0" (notes §1.5), so ``abs()``; the
  direction comes from the field or the event type. ``closed_cash_money`` (what was counted) is
  ``counted_cash_cents``; ``expected_cash_money`` is kept for the counted-vs-expected rule.
- Team member ids arrive as ``""`` when unknown; those are absent, not an employee called "".
  The closing employee is ``closing_team_member_id``, else ``ending_team_member_id``.
- NO_SALE / PAID_IN / PAID_OUT events become transactions of those types (id shared with the event),
  with the shift as ``drawer_session_id``, the event's employee and description (as ``reason``).
  Cash sale and refund events stay drawer events only: their sales arrive as payments, and the drawer
  event does not say which payment it was.
- Version: the shift's latest known time (``updated_at``, close, end, open, last event) with the event
  count, so a re-poll of an open shift that gained events moves it forward.
"""

from __future__ import annotations

from core.adapters.square.envelope import Inbound, dump
from core.adapters.square.fields import Obj, clip, latest, present
from core.adapters.square.keys import SQ, device_id, employee_id, local_wall_clock, location_id, sq_id
from core.adapters.square.transactions import SaleParts
from core.domain.parsing import Parsed, ParseOutcome
from core.domain.records import Canonical, version_key
from core.domain.sales import DrawerEvent, DrawerShift, Transaction, TransactionType

CONTROL_TYPES = {
    t.value: t for t in (TransactionType.NO_SALE, TransactionType.PAID_IN, TransactionType.PAID_OUT)
}


def parse_shift(inbound: Inbound) -> ParseOutcome:
    shift = inbound.object("cash_drawer_shift")
    external = shift.require_text("id")
    shift_id = sq_id("drawer_shift", external)
    vendor_location = shift.text("location_id") or inbound.location_hint
    events = [_event(row, shift_id) for row in inbound.document.children("events")]
    changed = latest(
        shift.time("updated_at"),
        shift.time("closed_at"),
        shift.time("ended_at"),
        shift.time("opened_at"),
        *(event.occurred_at for event in events),
    )
    device = shift.child("device")
    record = DrawerShift(
        id=shift_id,
        source=SQ,
        external_id=external,
        state=shift.text("state") or "OPEN",
        version_key=version_key(changed or inbound.occurred_at, len(events)),
        **present(
            location_id=location_id(vendor_location),
            device_id=device_id(device.text("id")) if device else None,
            opened_at=shift.time("opened_at"),
            ended_at=shift.time("ended_at"),
            closed_at=shift.time("closed_at"),
            opening_employee_id=employee_id(shift.text("opening_team_member_id")),
            closing_employee_id=employee_id(
                shift.text("closing_team_member_id") or shift.text("ending_team_member_id")
            ),
            currency=_currency(shift),
            opened_cash_cents=_magnitude(shift, "opened_cash_money"),
            cash_payments_cents=_magnitude(shift, "cash_payment_money"),
            cash_refunds_cents=_magnitude(shift, "cash_refunds_money"),
            paid_in_cents=_magnitude(shift, "cash_paid_in_money"),
            paid_out_cents=_magnitude(shift, "cash_paid_out_money"),
            expected_cash_cents=shift.cents("expected_cash_money"),
            counted_cash_cents=shift.cents("closed_cash_money"),
        ),
    )
    controls = [_control(event, record, inbound, vendor_location) for event in events]
    parts = [SaleParts(tx) for tx in controls if tx is not None]
    facts = {"drawer_shift": dump(record), "drawer_events": [dump(event) for event in events]}
    records: list[Canonical] = [record, *events, *(r for part in parts for r in part.records())]
    detection = [
        inbound.parsed_event("drawer_shift", shift_id, changed, facts),
        *(part.parsed_event(inbound) for part in parts),
    ]
    return Parsed(records=records, events=detection)


def _event(row: Obj, shift_id: str) -> DrawerEvent:
    external = row.require_text("id")
    money = row.money("event_money")
    return DrawerEvent(
        id=sq_id("drawer_event", external),
        shift_id=shift_id,
        event_type=row.require_text("event_type"),
        occurred_at=row.require_time("created_at"),
        amount_cents=abs(money.cents) if money else 0,
        version_key=version_key(row.time("created_at")),
        **present(
            currency=money.currency if money else None,
            employee_id=employee_id(row.text("team_member_id")),
            description=clip(row.text("description"), 500),
        ),
    )


def _control(
    event: DrawerEvent, shift: DrawerShift, inbound: Inbound, location: str | None
) -> Transaction | None:
    kind = CONTROL_TYPES.get(event.event_type)
    if kind is None:
        return None
    return Transaction(
        id=event.id,
        type=kind,
        status="COMPLETED",
        source=SQ,
        source_type=inbound.source_type,
        external_id=event.id.removeprefix("sq:drawer_event:"),
        drawer_session_id=shift.id,
        currency=event.currency,
        amount_cents=event.amount_cents,
        occurred_at=event.occurred_at,
        version_key=event.version_key,
        **present(
            location_id=shift.location_id,
            device_id=shift.device_id,
            employee_id=event.employee_id,
            reason=event.description,
            local_occurred_at=local_wall_clock(inbound.ctx, location, event.occurred_at),
        ),
    )


def _magnitude(shift: Obj, key: str) -> int | None:
    cents = shift.cents(key)
    return None if cents is None else abs(cents)


def _currency(shift: Obj) -> str | None:
    for key in ("opened_cash_money", "expected_cash_money", "closed_cash_money", "cash_payment_money"):
        money = shift.money(key)
        if money is not None and money.currency:
            return money.currency
    return None
