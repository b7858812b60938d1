"""The Devices page (core/web/console/devices.py): merchant A's registers in two stores after a
Bubble scoring run, per store with their state now, alerted hours, episodes and baseline; every
role, a GM limited to one store, one store at a time, another tenant that was never scored, and a
token without ``read``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from core.auth.principal import ROLES
from core.bootstrap import Container
from core.bubble.service.scoring import run
from core.web.app import create_app
from tests.integration.console.test_routes import signed_in
from tests.support import bubble_world
from tests.support.console_world import ConsoleWorld, console_container, seed

L1, L9 = "sq:location:L1", "sq:location:L9"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Container, ConsoleWorld, Any]]:
    with console_container(tmp_path_factory.mktemp("devices")) as container:
        w = seed(container)
        bubble_world.seed(container.db, bubble_world.world(L1), w.merchant_a)
        bubble_world.seed(container.db, bubble_world.world(L9, prefix="sq:device:N"), w.merchant_a)
        run(container.db, w.merchant_a, clock=container.clock)
        yield container, w, create_app(container)


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_each_stores_devices_their_state_episodes_and_baseline(world: Any, role: str) -> None:
    _, w, app = world
    page = signed_in(app, w.tokens[role]).get("/console/devices")
    assert page.status_code == 200, page.text[:500]
    text = page.text
    assert '<a href="/console/devices" aria-current="page">Devices</a>' in text
    assert text.index(L1) < text.index(L9)  # one section per store, in order
    for device in ("sq:device:D1", "sq:device:D2", "sq:device:ND3"):
        assert f'<th scope="row">{device}</th>' in text
    d1 = text.split('<th scope="row">sq:device:D1</th>')[1].split("</tr>")[0]
    cells = [c.split("</td>")[0] for c in d1.split("<td>")[1:]]
    assert cells[0].startswith("ok")  # its latest hour is an ordinary one
    assert cells[3] == "1"  # the void spike of day 13 is in its last week
    assert cells[4] == '1<br><span class="help">latest 2026-03-15 14:00 UTC</span>'  # one episode
    assert "history_sufficient" in cells[5]
    assert "168 hours scored" in cells[5]


def test_one_store_at_a_time_and_a_gm_sees_only_their_store(world: Any) -> None:
    container, w, app = world
    one = signed_in(app, w.tokens["analyst"]).get(f"/console/devices?store={L9}").text
    assert "sq:device:ND1" in one
    assert "sq:device:D1" not in one
    gm = signed_in(app, container.tokens.create(w.merchant_a, "gm", stores=[L1]).token)
    text = gm.get("/console/devices").text
    assert "sq:device:D1" in text
    assert "sq:device:ND1" not in text
    assert "sq:device:ND1" not in gm.get(f"/console/devices?store={L9}").text


def test_another_tenant_sees_none_of_it_and_is_told_it_was_never_scored(world: Any) -> None:
    _, w, app = world
    text = signed_in(app, w.token_b).get("/console/devices").text
    assert "Bubble has not scored this merchant yet" in text
    assert "sq:device:D1" not in text


def test_a_token_without_read_is_refused(world: Any) -> None:
    _, w, app = world
    page = signed_in(app, w.no_read).get("/console/devices")
    assert page.status_code == 403
