"""Refunds → a REFUND transaction keyed on the refund and the link to the sale, with and without the
return order fetched."""

from __future__ import annotations

import copy
from typing import Any

from core.domain.parties import CustomerRecord
from core.domain.records import version_key
from core.domain.sales import LineItem, RefundLink, Tender, Transaction

from .support import FakeOrders, context, edited, fields, of_type, one, parsed, sample_bytes, utc

REFUND_ID = "KkAkhdMsgzn59SM8A89WgKwekxLZY_ptNBVqHYxt5gAdfcobBe4u1AZsXhoz06KTtuq9Ls24P"
PAYMENT_ID = "KkAkhdMsgzn59SM8A89WgKwekxLZY"
RETURN_ORDER_ID = "haOyDuHiqtAXMk0d8pDKXpL7Jg4F"
TX_ID = f"sq:refund:{REFUND_ID}"

# The spec has no example of a return order (notes §2); this one follows OrderReturn's field list.
RETURN_ORDER: dict[str, Any] = {
    "id": RETURN_ORDER_ID,
    "location_id": "NAQ1FHV6ZJ8YV",
    "customer_id": "CUST-7",
    "state": "COMPLETED",
    "created_at": "2020-02-06T21:27:40.000Z",
    "updated_at": "2020-02-06T21:27:41.000Z",
    "version": 3,
    "returns": [
        {
            "uid": "ret-1",
            "source_order_id": "SALE-ORDER-1",
            "return_line_items": [
                {
                    "uid": "rli-1",
                    "source_line_item_uid": "sale-line-9",
                    "name": "Fern",
                    "quantity": "2",
                    "catalog_object_id": "ITEM-FERN",
                    "base_price_money": {"amount": 500, "currency": "USD"},
                    "gross_return_money": {"amount": 1000, "currency": "USD"},
                    "total_money": {"amount": 1000, "currency": "USD"},
                }
            ],
        }
    ],
    "return_amounts": {"total_money": {"amount": 1000, "currency": "USD"}},
}


def test_refund_updated_maps_to_a_refund_transaction_and_a_link_to_the_payment_field_by_field() -> None:
    outcome = parsed(sample_bytes("refund.updated"))
    stamp = version_key(utc("2020-02-06T22:14:16.381Z"), 10)
    assert fields(one(outcome, Transaction)) == {
        "id": TX_ID,
        "type": "REFUND",
        "status": "COMPLETED",
        "source": "SQUARE",
        "source_type": "WEBHOOK",
        "external_id": REFUND_ID,
        "order_id": RETURN_ORDER_ID,
        "location_id": "sq:location:NAQ1FHV6ZJ8YV",
        "currency": "USD",
        "amount_cents": 1000,
        "occurred_at": utc("2020-02-06T21:27:41.836Z"),
        "local_occurred_at": "2020-02-06T21:27:41.836000",
        "version_key": stamp,
    }
    # Without the return order the sale's order is unknown; the payment id joins transaction_tenders.
    assert fields(one(outcome, RefundLink)) == {
        "refund_transaction_id": TX_ID,
        "original_payment_id": PAYMENT_ID,
        "version_key": stamp,
    }
    assert of_type(outcome, Tender) == []


def test_the_refund_updates_win_over_the_pending_refund_whatever_order_they_arrive_in() -> None:
    pending = one(parsed(sample_bytes("refund.created")), Transaction)
    completed = one(parsed(sample_bytes("refund.updated")), Transaction)
    assert (pending.status, completed.status) == ("PENDING", "COMPLETED")
    assert pending.version_key < completed.version_key


def test_with_the_return_order_fetched_the_link_names_the_original_sale_and_the_returned_lines() -> None:
    orders = FakeOrders(RETURN_ORDER)
    outcome = parsed(sample_bytes("refund.updated"), context(fetch=orders))
    assert orders.calls == [("NAQ1FHV6ZJ8YV", RETURN_ORDER_ID)]
    link = one(outcome, RefundLink)
    assert (link.original_transaction_id, link.original_order_id, link.original_payment_id) == (
        "sq:order:SALE-ORDER-1",
        "SALE-ORDER-1",
        PAYMENT_ID,
    )
    line = one(outcome, LineItem)
    assert (line.transaction_id, line.line_no, line.line_type, line.quantity, line.item_id) == (
        TX_ID,
        "rli-1",
        "RETURN",
        2.0,
        "ITEM-FERN",
    )
    assert (line.unit_price_cents, line.extended_price_cents, line.source_line_ref) == (
        500,
        1000,
        "sq:order:SALE-ORDER-1/sale-line-9",
    )
    assert one(outcome, Transaction).customer_id == "sq:customer:CUST-7"
    assert one(outcome, CustomerRecord).version_key == ""
    facts = outcome.events[0].facts
    assert facts["refund_link"]["original_transaction_id"] == "sq:order:SALE-ORDER-1"
    assert [line["line_type"] for line in facts["line_items"]] == ["RETURN"]


def test_a_return_line_that_names_its_sale_line_is_validated_and_one_that_does_not_is_not() -> None:
    unlinked = copy.deepcopy(RETURN_ORDER)
    unlinked["returns"][0]["return_line_items"].append(
        {
            "uid": "rli-2",
            "quantity": "1",
            "item_type": "CUSTOM_AMOUNT",
            "base_price_money": {"amount": 999, "currency": "USD"},
        }
    )
    lines = {
        line.line_no: line
        for line in of_type(
            parsed(sample_bytes("refund.updated"), context(fetch=FakeOrders(unlinked))), LineItem
        )
    }
    assert (lines["rli-1"].validated_return, lines["rli-1"].user_entered_price) == (True, None)
    assert (lines["rli-2"].validated_return, lines["rli-2"].user_entered_price) == (False, True)
    assert lines["rli-2"].source_line_ref is None


def test_an_exchange_keeps_its_lines_on_its_own_order_not_on_the_refund() -> None:
    exchange = RETURN_ORDER | {
        "line_items": [
            {"uid": "new-1", "quantity": "1", "base_price_money": {"amount": 300, "currency": "USD"}}
        ]
    }
    outcome = parsed(sample_bytes("refund.updated"), context(fetch=FakeOrders(exchange)))
    assert of_type(outcome, LineItem) == []
    assert one(outcome, RefundLink).original_order_id == "SALE-ORDER-1"


def test_a_refund_to_cash_records_a_cash_tender_so_a_card_to_cash_swap_is_visible() -> None:
    body = edited(
        "refund.updated",
        lambda b: b["data"]["object"]["refund"].update(
            destination_type="CASH", team_member_id="TM-4", reason="Customer changed mind"
        ),
    )
    outcome = parsed(body)
    tender = one(outcome, Tender)
    assert (tender.transaction_id, tender.tender_no, tender.tender_type, tender.amount_cents) == (
        TX_ID,
        REFUND_ID,
        "CASH",
        1000,
    )
    assert tender.employee_id == one(outcome, Transaction).employee_id == "sq:employee:TM-4"
    assert one(outcome, Transaction).reason == one(outcome, RefundLink).reason == "Customer changed mind"
