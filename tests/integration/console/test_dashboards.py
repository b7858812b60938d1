"""The dashboard page (core/web/console/dashboards.py) on the seeded world of
tests/support/console_world.py: the weekly voids of merchant A's employee and store with an
accessible sparkline, month against month, every role, another tenant, bad input and the empty
state."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.auth.principal import ROLES
from core.bootstrap import Container
from core.web.app import create_app
from core.web.console.dashboards import sparkline
from tests.integration.console.test_routes import signed_in
from tests.support.console_world import NOW, ConsoleWorld, console_container, seed


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Container, ConsoleWorld]]:
    with console_container(tmp_path_factory.mktemp("dashboards")) as container:
        yield container, seed(container)


@pytest.fixture
def app(world: tuple[Container, ConsoleWorld]) -> Any:
    return create_app(world[0])


def test_the_sparkline_names_its_figures_in_a_title_and_scales_to_the_busiest_week() -> None:
    svg = str(sparkline([0, 2, 4], "voids, store <1>"))
    assert "<title>voids, store &lt;1&gt;: 0, 2, 4 (oldest week first)</title>" in svg
    assert 'role="img"' in svg
    assert 'points="2.0,26.0 60.0,14.0 118.0,2.0"' in svg
    assert "<title>voids, none: 0, 0 (oldest week first)</title>" in str(sparkline([0, 0], "voids, none"))


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_its_stores_weekly_voids_and_the_month_against_last(
    app: Any, world: Any, role: str
) -> None:
    _, w = world
    detection = w.detection_a
    c = signed_in(app, w.tokens[role])
    page = c.get("/console/dashboard?by=store&weeks=4")
    assert page.status_code == 200, page.text[:500]
    assert f"{detection.location_id}" in page.text
    assert f"voids, {detection.location_id}: 0, 0, 0, 1 (oldest week first)" in page.text
    assert f"refunds, {detection.location_id}: 0, 0, 0, 0" in page.text
    # this month (May 2026, the clock's) has the one void cluster; April had none
    assert re.search(r"<th scope=\"row\">void_return</th><td>1</td><td>0</td><td>up 1</td>", page.text)
    assert re.search(r"<th scope=\"row\">Cases opened</th><td>1</td><td>0</td><td>up 1</td>", page.text)
    by_employee = c.get("/console/dashboard?by=employee&weeks=8").text
    assert f"voids, {detection.employee_id}: 0, 0, 0, 0, 0, 0, 0, 1" in by_employee
    one = c.get("/console/dashboard", params={"by": "employee", "key": detection.employee_id}).text
    assert f"Dashboard by employee: {detection.employee_id}" in one
    assert "Every employee" in one


def test_another_tenants_stores_and_detections_do_not_show(app: Any, world: Any) -> None:
    container, w = world
    [theirs] = container.chirp_service.query_detections(w.merchant_b, rule_id="Q-VR-03").items
    mine = signed_in(app, w.tokens["analyst"]).get("/console/dashboard?by=employee").text
    b = signed_in(app, w.token_b).get("/console/dashboard?by=employee").text
    assert w.detection_a.detection_id != theirs.detection_id
    # each merchant sees exactly its own one cluster
    assert mine.count("voids, ") == 1
    assert b.count("voids, ") == 1
    assert f"{w.merchant_b}" not in mine


def test_a_token_without_read_is_refused(app: Any, world: Any) -> None:
    response = signed_in(app, world[1].no_read).get("/console/dashboard")
    assert response.status_code == 403
    assert "voids, " not in response.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("by=device", "The dashboard is by store or by employee."),
        ("weeks=5", "&#39;weeks&#39; must be one of 4, 8, 12, 26."),
        ("weeks=abc", "&#39;weeks&#39; must be one of 4, 8, 12, 26."),
    ],
)
def test_bad_choices_are_a_message_not_a_traceback(app: Any, world: Any, query: str, message: str) -> None:
    response = signed_in(app, world[1].tokens["analyst"]).get(f"/console/dashboard?{query}")
    assert response.status_code == 400
    assert message in response.text
    assert "Traceback" not in response.text


def test_an_empty_merchant_is_told_why_the_dashboard_is_empty(tmp_path: Path) -> None:
    with console_container(tmp_path) as container:
        from tests.support.pipeline import new_merchant

        merchant_id, _ = new_merchant(container)
        c = signed_in(create_app(container), container.tokens.create(merchant_id, "gm").token)
        page = c.get("/console/dashboard").text
    assert "No voids, refunds, discounts, drawer variance or below-margin detections in the last 8" in page
    assert "No detections this month or last." in page
    assert re.search(r"<th scope=\"row\">Cases opened</th><td>0</td><td>0</td><td>same</td>", page)
    assert NOW.month == 5
