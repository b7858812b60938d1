"""The HTTP client against the fake Counterpoint server (auth, errors, paging, the RS_UTC_DT window)
and the poller's determinism: re-polling the same window yields the same ids and bytes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from starlette.testclient import TestClient

from core.adapters.counterpoint.client import CounterpointApiError, CounterpointHttpApi
from core.adapters.counterpoint.parser import parse
from core.adapters.counterpoint.polling import PollWindow, iter_poll
from core.domain.parsing import Parsed
from core.domain.parties import CustomerRecord
from tests.support.fake_counterpoint import FakeCounterpoint

from .support import context, event, of_type

WINDOW = PollWindow(start=datetime(2016, 7, 1, tzinfo=UTC), end=datetime(2016, 8, 1, tzinfo=UTC), page_size=2)


@pytest.fixture
def fake() -> FakeCounterpoint:
    fake = FakeCounterpoint.from_samples()
    for n in range(5):  # inside the window, interleaved with the samples' own customers
        fake.add_customer(f"2000{n}", f"2016-07-2{n}T10:00:00.0000000")
    fake.add_customer("30000", "2016-08-01T00:00:00.0000000")  # at the window's end: excluded
    return fake


@pytest.fixture
def http(fake: FakeCounterpoint) -> Iterator[TestClient]:
    with TestClient(fake.app()) as client:
        yield client


def _api(http: httpx.Client, **overrides: str) -> CounterpointHttpApi:
    args = {"company_alias": "QATestGolf", "user": "MGR", "password": "password1", "api_key": "test-api-key"}
    args.update(overrides)
    return CounterpointHttpApi("http://testserver/", http=http, **args)


def test_the_client_fetches_a_document_that_parses_to_the_sample(http: TestClient) -> None:
    raw = _api(http).get_document("701315942121")
    outcome = parse(event(raw), context())
    assert isinstance(outcome, Parsed)
    assert outcome.events[0].entity_id == "cp:doc:da0f35296a804ceabffe7e6f52b22a9e"


def test_the_client_sends_basic_company_user_credentials_and_the_api_key() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"PS_STR": {"STR_ID": "MAIN"}, "ErrorCode": "SUCCESS"})

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        _api(client).get_store("MAIN")
    # The guide's own example: QATestGolf.MGR:password1 encodes to UUFUZXN0R29sZi5NR1I6cGFzc3dvcmQx.
    assert seen[0].headers["authorization"] == "Basic UUFUZXN0R29sZi5NR1I6cGFzc3dvcmQx"
    assert seen[0].headers["apikey"] == "test-api-key"
    assert str(seen[0].url) == "http://testserver/Store/MAIN"


@pytest.mark.parametrize(
    ("overrides", "code", "status"),
    [({"password": "wrong"}, "HTTP_401", 401), ({"api_key": "stale"}, "ERROR_INVALID_APIKEY", 403)],
    ids=["bad-password", "bad-api-key"],
)
def test_refused_credentials_raise_with_the_vendor_code(
    http: TestClient, overrides: dict[str, str], code: str, status: int
) -> None:
    with pytest.raises(CounterpointApiError) as failure:
        _api(http, **overrides).get_store("MAIN")
    assert (failure.value.error_code, failure.value.status_code) == (code, status)


def test_a_missing_record_raises_record_not_found(http: TestClient) -> None:
    with pytest.raises(CounterpointApiError, match="Document 1 not found") as failure:
        _api(http).get_document("1")
    assert failure.value.error_code == "ERROR_RECORD_NOT_FOUND"


def test_an_error_code_inside_a_200_response_still_raises() -> None:
    transport = httpx.MockTransport(
        lambda _: httpx.Response(200, json={"ErrorCode": "ERROR_UNKNOWN", "Message": "boom"})
    )
    with (
        httpx.Client(transport=transport) as client,
        pytest.raises(CounterpointApiError, match="ERROR_UNKNOWN: boom"),
    ):
        _api(client).get_item_categories()


def test_polling_pages_through_customers_changed_in_the_window(
    fake: FakeCounterpoint, http: TestClient
) -> None:
    units = list(iter_poll(_api(http), WINDOW))
    customers = [
        record.external_id
        for unit in units
        if unit.source_event_id.startswith("customers:")
        for record in of_type(_parsed(unit.raw), CustomerRecord)
    ]
    in_window = sorted(n for n, c in fake.customers.items() if "2016-07-01" <= c["RS_UTC_DT"] < "2016-08-01")
    assert customers == in_window
    assert len(in_window) == 8
    pages = [r for r in fake.requests if r.startswith("GET /Customers")]
    assert [p.split("Page=")[1].split("&")[0] for p in pages] == [
        "1",
        "2",
        "3",
        "4",
        "5",
    ]  # 2+2+2+2, then empty
    assert "StartDate=2016-07-01T00%3A00%3A00" in pages[0]
    assert "EndDate=2016-08-01T00%3A00%3A00" in pages[0]


def test_a_poll_covers_stores_categories_and_documents_by_id(http: TestClient) -> None:
    window = PollWindow(start=WINDOW.start, end=WINDOW.end, store_ids=["MAIN"], document_ids=["701315942121"])
    labels = [unit.source_event_id.split("#")[0].split(":")[0] for unit in iter_poll(_api(http), window)]
    assert labels[0] == "store"
    assert labels[1] == "item_categories"
    assert labels[-1] == "document"


def test_repolling_the_same_window_yields_identical_ids_and_bytes(
    fake: FakeCounterpoint, http: TestClient
) -> None:
    window = PollWindow(
        start=WINDOW.start, end=WINDOW.end, page_size=2, store_ids=["MAIN"], document_ids=["701315942121"]
    )
    first, second = list(iter_poll(_api(http), window)), list(iter_poll(_api(http), window))
    assert first == second
    assert len({unit.source_event_id for unit in first}) == len(first)


def test_a_changed_customer_gets_a_new_unit_id_on_the_next_poll(
    fake: FakeCounterpoint, http: TestClient
) -> None:
    before = {u.source_event_id for u in iter_poll(_api(http), WINDOW)}
    fake.customers["20002"]["CATEG_COD"] = "LANDSCAPER"
    after = {u.source_event_id for u in iter_poll(_api(http), WINDOW)}
    assert len(after - before) == 1


def test_a_server_that_ignores_paging_is_detected_instead_of_looping_forever() -> None:
    page = {"Customers": [{"CUST_NO": "1"}, {"CUST_NO": "2"}], "ErrorCode": "SUCCESS"}
    transport = httpx.MockTransport(lambda _: httpx.Response(200, json=page))
    with (
        httpx.Client(transport=transport) as client,
        pytest.raises(CounterpointApiError, match="paging ignored"),
    ):
        list(iter_poll(_api(client), PollWindow(WINDOW.start, WINDOW.end, categories=False, page_size=2)))


def test_a_window_must_run_forwards() -> None:
    with pytest.raises(ValueError, match="before its end"):
        PollWindow(start=WINDOW.end, end=WINDOW.start)


def _parsed(raw: bytes) -> Parsed:
    outcome = parse(event(raw), context())
    assert isinstance(outcome, Parsed)
    return outcome


def test_customer_pages_are_sealed_exactly_as_received(http: TestClient) -> None:
    unit = next(u for u in iter_poll(_api(http), WINDOW) if u.source_event_id.startswith("customers:"))
    assert json.loads(unit.raw)["ErrorCode"] == "SUCCESS"
    assert unit.raw == _api(http).get_customers_page(1, 2, start=WINDOW.start, end=WINDOW.end)
    assert unit.source_event_id.startswith("customers:2016-07-01T00:00:00..2016-08-01T00:00:00:p1#")
