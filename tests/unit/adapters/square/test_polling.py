"""Polled documents: stable bytes and ids (a re-poll de-duplicates), the documented layout, a backfill
through the fake Square server, and the parser routing polled documents like webhooks."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from core.adapters.square.client import SquareHttpApi
from core.adapters.square.polling import iter_backfill, order_unit, payment_unit, refund_unit, shift_unit
from core.domain.parsing import Ignored, ParseError
from core.domain.sales import DrawerShift, LineItem, RefundLink, Tender, Transaction
from tests.support.fake_square import DEFAULT_LOCATION, FakeSquare, example

from .support import of_type, one, parsed, run

FETCHED = datetime(2026, 1, 2, 9, 30, tzinfo=UTC)
PAYMENT = example("ListPaymentsResponse")["payments"][0]
REFUND = example("ListPaymentRefundsResponse")["refunds"][0]
ORDER = example("RetrieveOrderResponse")["order"]
SHIFT = example("RetrieveCashDrawerShiftResponse")["cash_drawer_shift"]
EVENTS = example("ListCashDrawerShiftEventsResponse")["cash_drawer_shift_events"]


def test_the_same_object_polled_again_gives_the_same_bytes_and_id() -> None:
    reordered = dict(reversed(list(copy.deepcopy(PAYMENT).items())))
    assert payment_unit(PAYMENT, FETCHED) == payment_unit(reordered, FETCHED)
    assert shift_unit(SHIFT, EVENTS, "L1", FETCHED) == shift_unit(
        copy.deepcopy(SHIFT), list(EVENTS), "L1", FETCHED
    )


def test_ids_name_the_object_and_its_version_but_not_the_fetch_time() -> None:
    later = FETCHED + timedelta(hours=6)
    assert payment_unit(PAYMENT, FETCHED).source_event_id == (
        "poll:payment:bP9mAsEMYPUGjjGNaNO5ZDVyLhSZY:2021-10-13T19:34:37.261Z"
    )
    assert (
        refund_unit(REFUND, FETCHED).source_event_id == f"poll:refund:{REFUND['id']}:2021-10-13T20:00:03.497Z"
    )
    assert order_unit(ORDER, FETCHED).source_event_id == (
        "poll:order:CAISENgvlJ6jLWAzERDzjyHVybY:2020-05-18T16:30:49.614Z:1"
    )
    first, again = payment_unit(PAYMENT, FETCHED), payment_unit(PAYMENT, later)
    assert (again.source_event_id, again.raw != first.raw) == (first.source_event_id, True)
    first, again = shift_unit(SHIFT, EVENTS, "L1", FETCHED), shift_unit(SHIFT, EVENTS, "L1", later)
    assert (again.source_event_id, again.raw != first.raw) == (first.source_event_id, True)


def test_a_changed_object_gets_a_new_id() -> None:
    updated = PAYMENT | {"updated_at": "2021-10-14T08:00:00.000Z", "status": "CANCELED"}
    assert payment_unit(updated, FETCHED).source_event_id != payment_unit(PAYMENT, FETCHED).source_event_id
    one_more = [*EVENTS, {"id": "NS", "event_type": "NO_SALE", "created_at": "2019-11-22T00:44:40.000Z"}]
    assert (
        shift_unit(SHIFT, one_more, "L1", FETCHED).source_event_id
        != shift_unit(SHIFT, EVENTS, "L1", FETCHED).source_event_id
    )


def test_an_object_without_an_id_is_still_sealed_under_a_digest_and_fails_parse_visibly() -> None:
    unit = payment_unit({"amount_money": {"amount": 1, "currency": "USD"}}, FETCHED)
    assert unit.source_event_id.startswith("poll:payment:sha256:")
    with pytest.raises(ParseError) as caught:
        run(unit.raw, source_type="POLLING")
    assert caught.value.field == "object.id"


def test_the_document_layout_is_the_documented_one() -> None:
    document = json.loads(shift_unit(SHIFT, EVENTS, "L1", FETCHED).raw)
    assert document == {
        "canary_polled": {
            "kind": "cash_drawer_shift",
            "fetched_at": "2026-01-02T09:30:00Z",
            "location_id": "L1",
        },
        "object": SHIFT,
        "events": EVENTS,
    }
    assert json.loads(payment_unit(PAYMENT, FETCHED).raw) == {
        "canary_polled": {"kind": "payment", "fetched_at": "2026-01-02T09:30:00Z"},
        "object": PAYMENT,
    }
    assert payment_unit(PAYMENT, FETCHED).event_type == "canary_polled.payment"


def test_polled_payments_refunds_and_orders_parse_like_their_webhooks() -> None:
    payment = parsed(payment_unit(PAYMENT, FETCHED).raw, source_type="POLLING")
    transaction = one(payment, Transaction)
    assert (transaction.id, transaction.source_type, transaction.employee_id) == (
        "sq:order:d7eKah653Z579f3gVtjlxpSlmUcZY",
        "POLLING",
        "sq:employee:TMoK_ogh6rH1o4dV",
    )
    assert one(payment, Tender).tender_type == "DEBIT"
    refund = parsed(refund_unit(REFUND, FETCHED).raw, source_type="POLLING")
    assert one(refund, RefundLink).original_payment_id == "bP9mAsEMYPUGjjGNaNO5ZDVyLhSZY"
    assert one(refund, Transaction).reason == "Example Refund"
    order = parsed(order_unit(ORDER, FETCHED).raw, source_type="POLLING")
    assert (one(order, Transaction).amount_cents, len(of_type(order, LineItem))) == (550, 2)
    return_order = ORDER | {"line_items": [], "returns": [{"source_order_id": "X", "return_line_items": []}]}
    assert isinstance(run(order_unit(return_order, FETCHED).raw, source_type="POLLING"), Ignored)


def _fake() -> FakeSquare:
    orders = [ORDER | {"location_id": DEFAULT_LOCATION}, *example("BatchRetrieveOrdersResponse")["orders"]]
    elsewhere = PAYMENT | {"id": "ELSEWHERE", "location_id": "OTHER"}
    return FakeSquare(orders=orders, payments=[PAYMENT, elsewhere], page_size=1)


def test_a_backfill_yields_every_payment_refund_order_and_shift_in_the_window_and_location() -> None:
    fake = _fake()
    with TestClient(fake.app) as http:
        api = SquareHttpApi("http://testserver", fake.token, "2025-08-20", http)
        units = list(
            iter_backfill(
                api,
                [DEFAULT_LOCATION],
                datetime(2019, 1, 1, tzinfo=UTC),
                datetime(2022, 1, 1, tzinfo=UTC),
                fetched_at=FETCHED,
            )
        )
        again = list(
            iter_backfill(
                api,
                [DEFAULT_LOCATION],
                datetime(2019, 1, 1, tzinfo=UTC),
                datetime(2022, 1, 1, tzinfo=UTC),
                fetched_at=FETCHED,
            )
        )
    assert [u.source_event_id.split(":")[1] for u in units] == [
        "payment",
        "refund",
        "order",
        "cash_drawer_shift",
    ]
    assert "ELSEWHERE" not in b"".join(u.raw for u in units).decode()
    assert units == again  # re-polling the same window seals nothing new
    shift = parsed(units[-1].raw, source_type="POLLING")
    assert one(shift, DrawerShift).location_id == f"sq:location:{DEFAULT_LOCATION}"
    assert {t.type for t in of_type(shift, Transaction)} == {"PAID_IN", "PAID_OUT"}


def test_a_backfill_outside_the_window_or_without_locations_yields_nothing() -> None:
    fake = _fake()
    with TestClient(fake.app) as http:
        api = SquareHttpApi("http://testserver", fake.token, "2025-08-20", http)
        early = list(
            iter_backfill(
                api,
                [DEFAULT_LOCATION],
                datetime(2000, 1, 1, tzinfo=UTC),
                datetime(2001, 1, 1, tzinfo=UTC),
                fetched_at=FETCHED,
            )
        )
        nowhere = list(
            iter_backfill(api, [], datetime(2019, 1, 1, tzinfo=UTC), datetime(2022, 1, 1, tzinfo=UTC))
        )
    assert early == nowhere == []


def _events_in_pages(api_calls: list[dict[str, Any]]) -> list[str | None]:
    return [call["params"].get("cursor") for call in api_calls if call["path"].endswith("/events")]


def test_shift_events_are_collected_across_every_page() -> None:
    fake = _fake()
    with TestClient(fake.app) as http:
        api = SquareHttpApi("http://testserver", fake.token, "2025-08-20", http)
        shift_units = [
            u
            for u in iter_backfill(
                api,
                [DEFAULT_LOCATION],
                datetime(2019, 1, 1, tzinfo=UTC),
                datetime(2020, 1, 1, tzinfo=UTC),
                fetched_at=FETCHED,
            )
            if u.event_type.endswith("cash_drawer_shift")
        ]
    assert len(json.loads(shift_units[0].raw)["events"]) == 6
    assert len(_events_in_pages(fake.requests)) == 6  # page_size 1: one call per event
