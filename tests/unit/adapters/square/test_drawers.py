"""Cash drawer shifts (polling only: Square has no drawer webhook) → DrawerShift, DrawerEvents and a
Transaction for each NO_SALE, PAID_IN and PAID_OUT, with every amount a magnitude."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from core.adapters.square.polling import shift_unit
from core.domain.records import version_key
from core.domain.sales import DrawerEvent, DrawerShift, Transaction

from .support import api_response, context, fields, of_type, one, parsed, utc

SHIFT_ID = "DCC99978-09A6-4926-849F-300BE9C5793A"
SHIFT = f"sq:drawer_shift:{SHIFT_ID}"
FETCHED = datetime(2026, 1, 2, 9, 30, tzinfo=UTC)


def _shift(**changes: Any) -> dict[str, Any]:
    return api_response("RetrieveCashDrawerShiftResponse")["cash_drawer_shift"] | changes


def _events(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    return [*api_response("ListCashDrawerShiftEventsResponse")["cash_drawer_shift_events"], *extra]


def _parse(shift: dict[str, Any], events: list[dict[str, Any]], zones: dict[str, str] | None = None) -> Any:
    raw = shift_unit(shift, events, "L88917AVBK2S5", FETCHED).raw
    return parsed(raw, context(zones=zones), source_type="POLLING")


NO_SALE = {
    "id": "NS-1",
    "event_type": "NO_SALE",
    "event_money": {"amount": 0, "currency": "USD"},
    "created_at": "2019-11-22T00:44:40.000Z",
    "team_member_id": "TM-7",
    "description": "change for a $20",
}


def test_the_official_shift_maps_field_by_field_with_negative_amounts_made_magnitudes() -> None:
    outcome = _parse(_shift(), _events())
    assert fields(one(outcome, DrawerShift)) == {
        "id": SHIFT,
        "source": "SQUARE",
        "external_id": SHIFT_ID,
        "location_id": "sq:location:L88917AVBK2S5",
        "state": "CLOSED",
        "opened_at": utc("2019-11-22T00:42:54Z"),
        "ended_at": utc("2019-11-22T00:44:49Z"),
        "closed_at": utc("2019-11-22T00:44:49Z"),
        "currency": "USD",
        "opened_cash_cents": 10000,
        "cash_payments_cents": 100,
        "cash_refunds_cents": 100,
        "paid_in_cents": 10000,
        "paid_out_cents": 10000,
        "expected_cash_cents": 10000,
        "counted_cash_cents": 9970,
        "version_key": version_key(utc("2019-11-22T00:44:49Z"), 6),
    }


def test_every_event_becomes_a_drawer_event_with_a_non_negative_amount() -> None:
    refund = {
        "id": "NEG-1",
        "event_type": "CASH_TENDER_REFUND",
        "event_money": {"amount": -700, "currency": "USD"},
        "created_at": "2019-11-22T00:44:00.000Z",
    }
    events = of_type(_parse(_shift(), _events(refund)), DrawerEvent)
    by_type = {(e.event_type, e.amount_cents) for e in events}
    assert by_type == {
        ("CASH_TENDER_PAYMENT", 100),
        ("CASH_TENDER_PAYMENT", 250),
        ("CASH_TENDER_CANCELLED_PAYMENT", 250),
        ("CASH_TENDER_REFUND", 100),
        ("CASH_TENDER_REFUND", 700),
        ("PAID_IN", 10000),
        ("PAID_OUT", 10000),
    }
    assert {e.shift_id for e in events} == {SHIFT}
    assert all(e.employee_id is None for e in events)  # Square's "" is no team member, not one called ""


def test_no_sale_paid_in_and_paid_out_become_transactions_in_the_drawer_session() -> None:
    outcome = _parse(
        _shift(device={"id": "DEV-9", "name": "My iPad"}),
        _events(NO_SALE),
        zones={"L88917AVBK2S5": "America/Chicago"},
    )
    controls = {t.type: t for t in of_type(outcome, Transaction)}
    assert set(controls) == {"NO_SALE", "PAID_IN", "PAID_OUT"}
    no_sale = controls["NO_SALE"]
    assert fields(no_sale) == {
        "id": "sq:drawer_event:NS-1",
        "type": "NO_SALE",
        "status": "COMPLETED",
        "source": "SQUARE",
        "source_type": "POLLING",
        "external_id": "NS-1",
        "location_id": "sq:location:L88917AVBK2S5",
        "device_id": "sq:device:DEV-9",
        "employee_id": "sq:employee:TM-7",
        "drawer_session_id": SHIFT,
        "currency": "USD",
        "amount_cents": 0,
        "reason": "change for a $20",
        "occurred_at": utc("2019-11-22T00:44:40Z"),
        "local_occurred_at": "2019-11-21T18:44:40",
        "version_key": version_key(utc("2019-11-22T00:44:40Z")),
    }
    assert (controls["PAID_OUT"].amount_cents, controls["PAID_OUT"].reason) == (
        10000,
        "Transfer out to another drawer",
    )


def test_detection_gets_the_shift_with_its_events_and_each_control_transaction() -> None:
    outcome = _parse(_shift(), _events(NO_SALE))
    kinds = [(d.kind, d.entity_id) for d in outcome.events]
    assert kinds[0] == ("drawer_shift", SHIFT)
    assert sorted(k for k, _ in kinds[1:]) == ["transaction"] * 3
    facts = outcome.events[0].facts
    assert facts["drawer_shift"]["counted_cash_cents"] == 9970
    assert len(facts["drawer_events"]) == 7
    assert all(d.source_type == "POLLING" for d in outcome.events)


def test_team_members_on_the_shift_become_employees_and_a_later_poll_with_more_events_wins() -> None:
    open_shift = _shift(
        state="OPEN",
        opening_team_member_id="TM-1",
        ending_team_member_id="TM-2",
        closed_at=None,
        ended_at=None,
    )
    early = one(_parse(open_shift, _events()[:2]), DrawerShift)
    later = one(_parse(open_shift, _events()), DrawerShift)
    assert (early.opening_employee_id, early.closing_employee_id) == ("sq:employee:TM-1", "sq:employee:TM-2")
    assert early.version_key < later.version_key
