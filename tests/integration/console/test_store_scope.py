"""A GM's token limited to their stores (`canary token create --store`): the console shows that
store's cases and detections and nothing of another store's, whose ids are "not found" (404) exactly
like another merchant's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from core.bootstrap import Container
from core.web.app import create_app
from tests.integration.console.test_routes import signed_in
from tests.support.console_world import ConsoleWorld, console_container, seed


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Container, ConsoleWorld, Any, str]]:
    with console_container(tmp_path_factory.mktemp("store_scope")) as container:
        w = seed(container)
        store = container.fox_service.get_case(w.merchant_a, w.case_a).case.location_id
        yield container, w, create_app(container), store


def test_a_gm_of_the_store_sees_its_cases_and_detections(world: Any) -> None:
    container, w, app, store = world
    c = signed_in(app, container.tokens.create(w.merchant_a, "gm", stores=[store]).token)
    assert w.case_a in c.get("/console/").text
    assert w.case_a in c.get("/console/cases").text
    assert c.get(f"/console/cases/{w.case_a}").status_code == 200
    assert w.detection_a.detection_id in c.get("/console/detections").text
    assert c.get(f"/console/detections/{w.detection_a.detection_id}").status_code == 200


def test_a_gm_of_another_store_sees_nothing_of_it_and_its_ids_are_not_found(world: Any) -> None:
    container, w, app, _store = world
    c = signed_in(app, container.tokens.create(w.merchant_a, "gm", stores=["sq:location:ELSEWHERE"]).token)
    assert w.case_a not in c.get("/console/").text
    assert w.case_a not in c.get("/console/cases").text
    assert w.detection_a.detection_id not in c.get("/console/detections").text
    for path in (f"/console/cases/{w.case_a}", f"/console/detections/{w.detection_a.detection_id}"):
        page = c.get(path)
        assert page.status_code == 404, path
        assert "no case" in page.text or "no detection" in page.text  # as for an id that does not exist


def test_the_dashboards_count_only_the_tokens_stores(world: Any) -> None:
    container, w, app, store = world
    mine = signed_in(app, container.tokens.create(w.merchant_a, "gm", stores=[store]).token)
    other = signed_in(
        app, container.tokens.create(w.merchant_a, "gm", stores=["sq:location:ELSEWHERE"]).token
    )
    assert store in mine.get("/console/dashboard").text
    page = other.get("/console/dashboard").text
    assert store not in page
    assert (
        container.chirp_service.detection_trends(
            w.merchant_a, stores=frozenset({"sq:location:ELSEWHERE"})
        ).series
        == []
    )
    assert container.chirp_service.detection_trends(w.merchant_a, stores=frozenset({store})).series
    assert (
        container.fox_service.case_totals(
            w.merchant_a,
            datetime(2000, 1, 1, tzinfo=UTC),
            datetime(2100, 1, 1, tzinfo=UTC),
            stores=frozenset({store}),
        ).opened
        == 1
    )
    assert (
        container.fox_service.case_totals(
            w.merchant_a,
            datetime(2000, 1, 1, tzinfo=UTC),
            datetime(2100, 1, 1, tzinfo=UTC),
            stores=frozenset(),
        ).opened
        == 0
    )


def test_an_analyst_limited_to_another_store_cannot_work_the_case(world: Any) -> None:
    container, w, app, _store = world
    c = signed_in(
        app, container.tokens.create(w.merchant_a, "analyst", stores=["sq:location:ELSEWHERE"]).token
    )
    csrf = c.get("/console/cases").text.split('name="csrf" value="')[1].split('"')[0]
    response = c.post(f"/console/cases/{w.case_a}/note", data={"csrf": csrf, "body": "peeking"})
    assert response.status_code == 404
    assert container.fox_service.get_case(w.merchant_a, w.case_a).notes == []


def test_a_gm_of_another_store_sees_no_rule_statistics_and_no_customer_of_the_store(world: Any) -> None:
    container, w, app, store = world
    mine = signed_in(app, container.tokens.create(w.merchant_a, "gm", stores=[store]).token)
    other = signed_in(
        app, container.tokens.create(w.merchant_a, "gm", stores=["sq:location:ELSEWHERE"]).token
    )
    assert "Alerts</dt><dd>1 in 1 case(s)" in mine.get("/console/rules/Q-VR-03").text
    assert "Alerts</dt><dd>" not in other.get("/console/rules/Q-VR-03").text
    assert other.get("/console/rules").status_code == 200
    customer = f"/console/customers/{w.shop.alice}"  # Alice shops at sq:location:L1 only
    at_l1 = signed_in(app, container.tokens.create(w.merchant_a, "gm", stores=["sq:location:L1"]).token)
    page = at_l1.get(customer)
    assert page.status_code == 200
    assert "a segment counts every store" in page.text
    assert "Counted over the stores this sign-in is limited to" in page.text
    refused = other.get(customer)
    assert refused.status_code == 404
    assert "No customer" in refused.text
    looked_up = other.get(f"/console/customers?customer={w.shop.alice}", follow_redirects=False)
    assert looked_up.status_code == 404  # no redirect to her page
    assert "No customer" in looked_up.text
    assert "Sales" not in looked_up.text
