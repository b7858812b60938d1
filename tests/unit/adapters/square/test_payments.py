"""Payments → the sale's Transaction and a Tender: field by field from the official samples, with and
without the order fetched, and the version keys that keep out-of-order deliveries harmless."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from core.domain.parsing import ParseError
from core.domain.parties import CustomerRecord
from core.domain.records import version_key
from core.domain.sales import LineItem, Tender, Transaction

from .support import (
    FakeOrders,
    api_response,
    context,
    edited,
    fields,
    of_type,
    one,
    parsed,
    run,
    sample_bytes,
    utc,
)

ORDER_ID = "03O3USaPaAaFnI6kkwB1JxGgBsUZY"
PAYMENT_ID = "hYy9pRFVxpDsO1FB05SunFWUe9JZY"
TX_ID = f"sq:order:{ORDER_ID}"


def test_payment_created_maps_to_a_sale_keyed_on_its_order_field_by_field() -> None:
    outcome = parsed(sample_bytes("payment.created"), context(zones={"S8GWD5R9QB376": "America/Los_Angeles"}))
    created = utc("2020-11-22T21:16:51.086Z")
    stamp = version_key(utc("2020-11-22T21:16:51.198Z"))
    assert fields(one(outcome, Transaction)) == {
        "id": TX_ID,
        "type": "SALE",
        "status": "APPROVED",
        "source": "SQUARE",
        "source_type": "WEBHOOK",
        "external_id": ORDER_ID,
        "order_id": ORDER_ID,
        "ticket_number": "hYy9",
        "location_id": "sq:location:S8GWD5R9QB376",
        "currency": "USD",
        "amount_cents": 100,
        "occurred_at": created,
        "local_occurred_at": "2020-11-22T13:16:51.086000",
        "version_key": stamp,
    }
    assert fields(one(outcome, Tender)) == {
        "transaction_id": TX_ID,
        "tender_no": PAYMENT_ID,
        "tender_type": "CARD",
        "pay_code": "CARD",
        "status": "APPROVED",
        "amount_cents": 100,
        "currency": "USD",
        "card_fingerprint": "sq-1-Tvruf3vPQxlvI6n0IcKYfBukrcv6IqWr8UyBdViWXU2yzGn5VMJvrsHMKpINMhPmVg",
        "card_brand": "MASTERCARD",
        "entry_method": "KEYED",
        "authorized": True,
        "occurred_at": created,
        "version_key": stamp,
    }


def test_payment_updated_carries_the_completed_status_and_a_later_version() -> None:
    outcome = parsed(sample_bytes("payment.updated"))
    transaction, tender = one(outcome, Transaction), one(outcome, Tender)
    assert (transaction.status, tender.status, tender.authorized) == ("COMPLETED", "COMPLETED", True)
    assert transaction.version_key == tender.version_key == version_key(utc("2020-11-22T21:19:00.831Z"))


def test_out_of_order_delivery_updated_then_created_leaves_updated_winning() -> None:
    arrivals = [parsed(sample_bytes(name)) for name in ("payment.updated", "payment.created")]
    stored: dict[tuple[type, tuple[Any, ...]], Any] = {}
    for outcome in arrivals:  # the writer's rule: an incoming row wins only if its version_key is not lower
        for record in outcome.records:
            key = (type(record), tuple(getattr(record, f) for f in record.natural_key))
            if key not in stored or stored[key].version_key <= record.version_key:
                stored[key] = record
    assert stored[(Transaction, (TX_ID,))].status == "COMPLETED"
    assert stored[(Tender, (TX_ID, PAYMENT_ID))].status == "COMPLETED"
    created, updated = (one(o, Transaction).version_key for o in reversed(arrivals))
    assert created < updated


def test_the_detection_event_carries_the_transaction_its_tenders_and_no_lines() -> None:
    event = parsed(sample_bytes("payment.updated")).events[0]
    assert (event.kind, event.entity_id, event.evidence_seq, event.merchant_id) == (
        "transaction",
        TX_ID,
        7,
        "m_test",
    )
    assert event.facts["transaction"]["amount_cents"] == 100
    assert event.facts["transaction"]["occurred_at"] == "2020-11-22T21:16:51.086000Z"
    assert [t["tender_no"] for t in event.facts["tenders"]] == [PAYMENT_ID]
    assert (event.facts["line_items"], event.facts["refund_link"]) == ([], None)


def test_an_unknown_location_gives_no_wall_clock_rather_than_a_utc_guess() -> None:
    outcome = parsed(sample_bytes("payment.created"), context(zones={}))
    assert one(outcome, Transaction).local_occurred_at is None


def _order_for_the_payment() -> dict[str, Any]:
    order = copy.deepcopy(api_response("RetrieveOrderResponse")["order"])
    order.update(
        id=ORDER_ID,
        location_id="S8GWD5R9QB376",
        customer_id="CUST-1",
        state="COMPLETED",
        closed_at="2020-11-22T21:19:01.000Z",
    )
    return order


def test_with_a_fetcher_the_order_supplies_totals_customer_and_lines() -> None:
    orders = FakeOrders(_order_for_the_payment())
    outcome = parsed(sample_bytes("payment.updated"), context(fetch=orders))
    transaction = one(outcome, Transaction)
    assert orders.calls == [("S8GWD5R9QB376", ORDER_ID)]
    assert (transaction.status, transaction.amount_cents, transaction.discount_cents) == (
        "COMPLETED",
        550,
        550,
    )
    assert (transaction.tax_cents, transaction.tip_cents, transaction.subtotal_cents) == (0, 0, 550)
    assert (transaction.customer_id, transaction.ticket_number) == ("sq:customer:CUST-1", "hYy9")
    assert transaction.committed_at == utc("2020-11-22T21:19:01Z")
    assert transaction.occurred_at == utc("2020-05-18T16:30:49.614Z")  # the order's creation
    # The payment's later update time lifts the order's version time; the order's version breaks ties.
    assert transaction.version_key == version_key(utc("2020-11-22T21:19:00.831Z"), 1)
    lines = sorted(of_type(outcome, LineItem), key=lambda line: line.unit_price_cents)
    assert [
        (
            line.line_no,
            line.line_type,
            line.quantity,
            line.unit_price_cents,
            line.discount_cents,
            line.extended_price_cents,
            line.description,
            line.transaction_id,
        )
        for line in lines
    ] == [
        ("mumY8Nun4BC5aKe2yyx5a", "SALE", 2.0, 300, 300, 300, "Item 2", TX_ID),
        ("ULkg0tQTRK2bkU9fNv3IJD", "SALE", 1.0, 500, 250, 250, "Item 1", TX_ID),
    ]
    assert fields(one(outcome, CustomerRecord)) == {
        "id": "sq:customer:CUST-1",
        "source": "SQUARE",
        "external_id": "CUST-1",
        "version_key": "",
    }
    assert len(outcome.events[0].facts["line_items"]) == 2


def test_a_canceled_order_is_a_void_and_a_canceled_payment_alone_is_a_void() -> None:
    order = _order_for_the_payment() | {"state": "CANCELED"}
    assert (
        one(parsed(sample_bytes("payment.updated"), context(fetch=FakeOrders(order))), Transaction).type
        == "VOID"
    )
    canceled = edited("payment.updated", lambda b: b["data"]["object"]["payment"].update(status="CANCELED"))
    assert one(parsed(canceled), Transaction).type == "VOID"


def test_when_the_order_cannot_be_fetched_the_event_fails_visibly_naming_the_order_field() -> None:
    with pytest.raises(ParseError) as caught:
        run(sample_bytes("payment.updated"), context(fetch=FakeOrders()))
    assert caught.value.field == "data.object.payment.order_id"
    assert ORDER_ID in str(caught.value)


def test_a_payment_without_an_order_stands_alone() -> None:
    body = edited("payment.updated", lambda b: b["data"]["object"]["payment"].pop("order_id"))
    outcome = parsed(body, context(fetch=FakeOrders()))
    transaction = one(outcome, Transaction)
    assert (transaction.id, transaction.external_id, transaction.order_id) == (
        f"sq:payment:{PAYMENT_ID}",
        PAYMENT_ID,
        None,
    )
    assert one(outcome, Tender).transaction_id == transaction.id


@pytest.mark.parametrize(
    ("change", "tender_type", "pay_code"),
    [
        ({"source_type": "CASH", "card_details": None}, "CASH", "CASH"),
        (
            {"source_type": "EXTERNAL", "card_details": None, "external_details": {"type": "CHECK"}},
            "CHECK",
            "EXTERNAL",
        ),
        (
            {"card_details": {"card": {"card_brand": "SQUARE_GIFT_CARD"}, "status": "CAPTURED"}},
            "GIFT_CARD",
            "CARD",
        ),
        (
            {"card_details": {"card": {"card_brand": "VISA", "card_type": "DEBIT"}, "status": "FAILED"}},
            "DEBIT",
            "CARD",
        ),
    ],
)
def test_tender_types_follow_the_payment_source_and_card(
    change: dict[str, Any], tender_type: str, pay_code: str
) -> None:
    body = edited("payment.updated", lambda b: b["data"]["object"]["payment"].update(change))
    tender = one(parsed(body), Tender)
    assert (tender.tender_type, tender.pay_code) == (tender_type, pay_code)


def test_the_team_member_device_customer_and_tip_reach_the_sale_and_the_tender() -> None:
    def change(body: dict[str, Any]) -> None:
        body["data"]["object"]["payment"].update(
            team_member_id="TM-9",
            customer_id="CUST-2",
            tip_money={"amount": 20, "currency": "USD"},
            device_details={"device_id": "DEV-3", "device_name": "Front till"},
            total_money={"amount": 120, "currency": "USD"},
        )

    outcome = parsed(edited("payment.updated", change))
    transaction, tender = one(outcome, Transaction), one(outcome, Tender)
    assert (transaction.employee_id, transaction.device_id, transaction.customer_id) == (
        "sq:employee:TM-9",
        "sq:device:DEV-3",
        "sq:customer:CUST-2",
    )
    assert (tender.employee_id, tender.device_id) == ("sq:employee:TM-9", "sq:device:DEV-3")
    assert (transaction.amount_cents, transaction.tip_cents, tender.amount_cents, tender.tip_cents) == (
        120,
        20,
        120,
        20,
    )
    assert one(outcome, CustomerRecord).id == "sq:customer:CUST-2"
