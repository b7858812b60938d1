"""The console on Postgres as the application role (row-level security underneath): sign-in reads
the token through app.api_token_lookup, every request re-reads it, and merchant B's detections,
cases and customers are not found for merchant A."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.bootstrap import Container, bootstrap
from core.clock import FixedClock
from core.web.app import create_app
from tests.integration.console.test_routes import pages, signed_in
from tests.support.console_world import NOW, ConsoleWorld, seed
from tests.support.pipeline import settings_for

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def world(
    postgres_urls: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Container, ConsoleWorld]]:
    _admin, app_url = postgres_urls
    settings = settings_for(app_url, tmp_path_factory.mktemp("console-pg"), redis=False)
    container = bootstrap(settings, clock=FixedClock(NOW))
    try:
        yield container, seed(container)
    finally:
        container.close()


def test_every_page_opens_on_postgres_and_another_tenants_ids_are_not_found(
    world: tuple[Container, ConsoleWorld],
) -> None:
    container, w = world
    app = create_app(container)
    a = signed_in(app, w.tokens["analyst"])
    for path, marker in pages(w).items():
        response = a.get(path)
        assert (response.status_code, marker in response.text) == (200, True), path
    dashboard = a.get("/console/dashboard?weeks=4").text
    assert f"voids, {w.detection_a.location_id}: 0, 0, 0, 1 (oldest week first)" in dashboard
    assert dashboard.count("voids, ") == 1  # merchant B's cluster is not counted
    theirs = a.get(f"/console/detections/{w.detection_b.detection_id}")
    assert (theirs.status_code, "Substrate snapshot" in theirs.text) == (404, False)
    assert w.detection_b.detection_id not in a.get("/console/detections").text
    b = signed_in(app, w.token_b)
    assert b.get(f"/console/customers/{w.shop.alice}").status_code == 404
    assert w.detection_a.detection_id not in b.get("/console/").text
    container.tokens.revoke(w.merchant_a, w.tokens["analyst"].split("_")[1])
    assert a.get("/console/").headers["location"].endswith("&expired=1")
