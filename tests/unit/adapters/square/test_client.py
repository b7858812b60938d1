"""SquareHttpApi against the fake Square server: auth and version headers, cursor pagination, time
windows, and Square's errors surfacing as SquareApiError with Square's code."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from core.adapters.square.api import SquareApi, SquareApiError
from core.adapters.square.client import SquareHttpApi
from core.adapters.square.polling import pages
from tests.support.fake_square import DEFAULT_LOCATION, FakeSquare, example

VERSION = "2025-08-20"
START = datetime(2021, 10, 13, 12, 0, tzinfo=UTC)


def _payments(count: int) -> list[dict[str, Any]]:
    template = example("ListPaymentsResponse")["payments"][0]
    made = []
    for n in range(count):
        payment = copy.deepcopy(template)
        payment.update(
            id=f"PAY-{n}", created_at=(START + timedelta(hours=n)).isoformat().replace("+00:00", "Z")
        )
        made.append(payment)
    return made


@pytest.fixture
def fake() -> FakeSquare:
    return FakeSquare(payments=_payments(5), page_size=2)


@pytest.fixture
def api(fake: FakeSquare) -> Iterator[SquareHttpApi]:
    with TestClient(fake.app) as http:
        yield SquareHttpApi("http://testserver", fake.token, VERSION, http)


def test_the_http_client_satisfies_the_square_api_port(api: SquareHttpApi) -> None:
    assert isinstance(api, SquareApi)


def test_list_payments_pages_through_every_cursor_in_created_order(
    api: SquareHttpApi, fake: FakeSquare
) -> None:
    found = list(pages(lambda cursor: api.list_payments(START, START + timedelta(days=1), cursor)))
    assert [p["id"] for p in found] == ["PAY-0", "PAY-1", "PAY-2", "PAY-3", "PAY-4"]
    assert [r["params"].get("cursor") for r in fake.requests] == [None, "fake-cursor-2", "fake-cursor-4"]
    first = fake.requests[0]
    assert first["headers"]["authorization"] == f"Bearer {fake.token}"
    assert first["headers"]["square-version"] == VERSION
    assert first["params"]["begin_time"] == "2021-10-13T12:00:00Z"


def test_the_window_is_begin_inclusive_end_exclusive_on_created_at(api: SquareHttpApi) -> None:
    window = list(
        pages(lambda c: api.list_payments(START + timedelta(hours=1), START + timedelta(hours=3), c))
    )
    assert [p["id"] for p in window] == ["PAY-1", "PAY-2"]
    assert (
        list(pages(lambda c: api.list_payments(START - timedelta(days=2), START - timedelta(days=1), c)))
        == []
    )


def test_a_wrong_token_is_a_401_with_squares_error_code(fake: FakeSquare) -> None:
    with TestClient(fake.app) as http:
        api = SquareHttpApi("http://testserver", "stolen-token", VERSION, http)
        with pytest.raises(SquareApiError) as caught:
            api.list_payments(START, START + timedelta(days=1))
    error = caught.value
    assert (error.status, error.code, error.path, error.retryable) == (
        401,
        "UNAUTHORIZED",
        "/v2/payments",
        False,
    )
    assert "could not be authorized" in str(error)


def test_orders_are_fetched_by_id_and_a_missing_one_is_not_found(api: SquareHttpApi) -> None:
    order = api.get_order(None, "CAISENgvlJ6jLWAzERDzjyHVybY")
    assert order["total_money"] == {"amount": 550, "currency": "USD"}
    with pytest.raises(SquareApiError) as caught:
        api.get_order("D7AVYMEAPJ3A3", "NO-SUCH-ORDER")
    assert (caught.value.status, caught.value.code) == (404, "NOT_FOUND")


def test_search_orders_filters_by_location_and_window(api: SquareHttpApi, fake: FakeSquare) -> None:
    page = api.search_orders(
        ["D7AVYMEAPJ3A3"], datetime(2020, 5, 18, tzinfo=UTC), datetime(2020, 5, 19, tzinfo=UTC)
    )
    assert [o["id"] for o in page.items] == ["CAISENgvlJ6jLWAzERDzjyHVybY"]
    body = fake.requests[-1]["body"]
    assert body["query"]["sort"] == {"sort_field": "CREATED_AT", "sort_order": "ASC"}
    assert (
        api.search_orders(
            ["ELSEWHERE"], datetime(2020, 5, 18, tzinfo=UTC), datetime(2020, 5, 19, tzinfo=UTC)
        ).items
        == []
    )


def test_cash_drawer_shifts_list_get_and_events_page(api: SquareHttpApi, fake: FakeSquare) -> None:
    begin, end = datetime(2019, 11, 22, tzinfo=UTC), datetime(2019, 11, 23, tzinfo=UTC)
    summaries = api.list_cash_drawer_shifts(DEFAULT_LOCATION, begin, end).items
    assert [s["id"] for s in summaries] == ["DCC99978-09A6-4926-849F-300BE9C5793A"]
    assert "cash_paid_out_money" not in summaries[0]  # the list gives summaries only
    shift = api.get_cash_drawer_shift(summaries[0]["id"], DEFAULT_LOCATION)
    assert shift["cash_paid_out_money"]["amount"] == -10000
    events = list(pages(lambda c: api.list_cash_drawer_shift_events(shift["id"], DEFAULT_LOCATION, c)))
    assert len(events) == 6
    assert fake.requests[-1]["params"]["location_id"] == DEFAULT_LOCATION
    with pytest.raises(SquareApiError) as caught:
        api.get_cash_drawer_shift("UNKNOWN", DEFAULT_LOCATION)
    assert caught.value.code == "NOT_FOUND"


def test_a_bad_cursor_is_squares_400(api: SquareHttpApi) -> None:
    with pytest.raises(SquareApiError) as caught:
        api.list_refunds(START, START + timedelta(days=1), cursor="forged")
    assert (caught.value.status, caught.value.code) == (400, "INVALID_CURSOR")


def _transport(handler: Any) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


def test_timeouts_network_failures_and_5xx_are_retryable_errors() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("read timed out", request=request)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    def unavailable(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, text="<html>Service Unavailable</html>")

    for handler, code in ((timeout, "TIMEOUT"), (refused, "NETWORK_ERROR"), (unavailable, None)):
        api = SquareHttpApi("https://connect.example", "t", VERSION, _transport(handler))
        with pytest.raises(SquareApiError) as caught:
            api.list_refunds(START, START + timedelta(days=1))
        assert (caught.value.code, caught.value.retryable) == (code, True)


def test_a_success_that_is_not_a_json_object_is_a_bad_response() -> None:
    api = SquareHttpApi(
        "https://connect.example", "t", VERSION, _transport(lambda r: httpx.Response(200, json=[1]))
    )
    with pytest.raises(SquareApiError) as caught:
        api.list_payments(START, START + timedelta(days=1))
    assert caught.value.code == "BAD_RESPONSE"


def test_naive_window_times_are_refused() -> None:
    api = SquareHttpApi(
        "https://connect.example", "t", VERSION, _transport(lambda r: httpx.Response(200, json={}))
    )
    with pytest.raises(ValueError, match="naive"):
        api.list_payments(datetime(2021, 1, 1), datetime(2021, 1, 2))
