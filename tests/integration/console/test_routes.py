"""The console's routes on embedded SQLite (tests/support/console_world.py): every page under every
role, the refused ones, sign-in and sign-out, CSRF, expired and revoked sessions, another tenant's ids,
and errors shown as messages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from starlette.testclient import TestClient

from core.auth.principal import ROLES
from core.bootstrap import Container
from core.web.app import create_app
from tests.support.console_world import NOW, ConsoleWorld, console_container, seed

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Container, ConsoleWorld]]:
    with console_container(tmp_path_factory.mktemp("console")) as container:
        yield container, seed(container)


@pytest.fixture
def app(world: tuple[Container, ConsoleWorld]) -> Any:
    return create_app(world[0])


def client(app: Any, **kwargs: Any) -> TestClient:
    return TestClient(app, follow_redirects=False, **kwargs)


def sign_in(c: TestClient, token: str, next_: str = "/console/") -> Any:
    form = c.get("/console/sign-in")
    return c.post(
        "/console/sign-in", data={"csrf": CSRF.search(form.text).group(1), "token": token, "next": next_}
    )


def signed_in(app: Any, token: str) -> TestClient:
    c = client(app)
    assert sign_in(c, token).status_code == 303
    return c


def csrf_of(c: TestClient, path: str = "/console/") -> str:
    return CSRF.search(c.get(path).text).group(1)


def pages(w: ConsoleWorld) -> dict[str, str]:
    """Every GET page, with a marker only the right page shows."""
    return {
        "/console/": "New detections since yesterday",
        "/console/detections": w.detection_a.detection_id,
        f"/console/detections/{w.detection_a.detection_id}": "Substrate snapshot",
        "/console/cases": "void return: employee sq:employee:TM1",
        f"/console/cases/{w.case_a}": "Audit trail",
        "/console/rules": "Q-VR-03",
        "/console/rules/Q-VR-03": "min_voids",
        "/console/packs/garden-center": "What it would change",
        "/console/digest": "Weekly digest",
        "/console/dashboard": "Did LP improve this month against last?",
        "/console/devices": "Bubble has not scored this merchant yet",
        "/console/customers": "Customer id",
        f"/console/customers/{w.shop.alice}": "Sales",
    }


# signing in --------------------------------------------------------------------------------------------


def test_every_page_sends_a_visitor_without_a_session_to_sign_in(app: Any, world: Any) -> None:
    c = client(app)
    for path in pages(world[1]):
        response = c.get(path)
        assert (response.status_code, response.headers["location"]) == (
            303,
            f"/console/sign-in?next={quote(path, safe='/')}",
        ), path
    assert c.get("/console").headers["location"] == "/console/"


def test_sign_in_sets_an_httponly_samesite_strict_cookie_secure_only_over_https(app: Any, world: Any) -> None:
    _, w = world
    form = client(app).get("/console/sign-in")
    assert '<label for="token">Canary token</label>' in form.text
    response = sign_in(client(app), w.tokens["analyst"])
    cookie = response.headers["set-cookie"]
    assert (response.status_code, response.headers["location"]) == (303, "/console/")
    assert "canary_console=" in cookie
    assert "httponly" in cookie.lower()
    assert "samesite=strict" in cookie.lower()
    assert "secure" not in cookie.lower()
    secure = sign_in(client(app, base_url="https://testserver"), w.tokens["analyst"])
    assert "; secure" in secure.headers["set-cookie"].lower()


def test_a_wrong_token_is_refused_with_a_message_and_no_session(app: Any, world: Any) -> None:
    c = client(app)
    response = sign_in(c, "cnry_0000000000000000_" + "x" * 43)
    assert response.status_code == 401
    assert "That token was not accepted" in response.text
    assert "canary_console=" not in response.headers.get("set-cookie", "")
    assert c.get("/console/").status_code == 303


def test_sign_in_without_the_forms_csrf_token_is_refused(app: Any, world: Any) -> None:
    _, w = world
    c = client(app)
    c.get("/console/sign-in")
    response = c.post("/console/sign-in", data={"csrf": "forged", "token": w.tokens["operator"]})
    assert response.status_code == 403
    assert "expired or came from elsewhere" in response.text
    assert c.get("/console/").status_code == 303


def test_sign_in_never_redirects_off_the_console(app: Any, world: Any) -> None:
    _, w = world
    for target in ("https://evil.example/", "//evil.example/console", "/mcp/chirp"):
        assert sign_in(client(app), w.tokens["gm"], target).headers["location"] == "/console"


# every page under every role ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_page_opens_for_every_role_with_the_read_scope(app: Any, world: Any, role: str) -> None:
    _, w = world
    c = signed_in(app, w.tokens[role])
    for path, marker in pages(w).items():
        response = c.get(path)
        assert response.status_code == 200, (role, path, response.text[:500])
        assert marker in response.text, (role, path)
        assert f"{role} · {w.merchant_a}" in response.text
        assert response.headers["content-security-policy"].startswith("default-src 'self'")


def test_a_token_without_the_read_scope_is_refused_every_page(app: Any, world: Any) -> None:
    _, w = world
    c = signed_in(app, w.no_read)
    for path in pages(w):
        response = c.get(path)
        assert response.status_code == 403, path
        assert "This needs the &#39;read&#39; scope" in response.text
        assert w.detection_a.detection_id not in response.text


@pytest.mark.parametrize("role", [r for r in ROLES if r != "operator"])
def test_only_rules_write_may_change_a_rules_mode(app: Any, world: Any, role: str) -> None:
    container, w = world
    c = signed_in(app, w.tokens[role])
    page = c.get("/console/rules/Q-VR-03")
    assert "Changing a rule's mode needs the rules:write scope" in page.text
    response = c.post(
        "/console/rules/Q-VR-03/mode",
        data={"csrf": csrf_of(c), "mode": "dry_run", "reason": "too noisy this week"},
    )
    assert response.status_code == 403
    assert "needs the &#39;rules:write&#39; scope" in response.text
    assert container.chirp_service.get_rule(w.merchant_a, "Q-VR-03").mode == "alerting"


def test_an_operator_demotes_a_rule_with_a_reason_and_is_the_audit_actor(app: Any, world: Any) -> None:
    container, w = world
    c = signed_in(app, w.tokens["operator"])
    missing = c.post("/console/rules/Q-VR-02/mode", data={"csrf": csrf_of(c), "mode": "dry_run"})
    assert (missing.status_code, "Give a reason" in missing.text) == (400, True)
    short = c.post(
        "/console/rules/Q-VR-02/mode", data={"csrf": csrf_of(c), "mode": "observation", "reason": "x"}
    )
    assert short.status_code == 400
    assert "Nothing changed: a reason of at least 8 characters is required" in short.text
    assert '<label for="reason">' in short.text
    done = c.post(
        "/console/rules/Q-VR-02/mode",
        data={"csrf": csrf_of(c), "mode": "observation", "reason": "pilot in store one", "force": "yes"},
    )
    assert done.status_code == 200
    assert "Q-VR-02 is now in observation (was dry_run)." in done.text
    [entry, *_] = container.chirp_service.audit_log(w.merchant_a, rule_id="Q-VR-02").items
    assert (entry.actor.split(":")[0], entry.reason) == ("operator", "pilot in store one")
    assert container.chirp_service.get_rule(w.merchant_a, "Q-VR-02").mode == "observation"
    container.chirp_service.demote_rule(w.merchant_a, "Q-VR-02", actor="test", reason="reset after the test")


# CSRF, expiry, sign-out ------------------------------------------------------------------------------------


def test_a_form_without_or_with_another_sessions_csrf_token_changes_nothing(app: Any, world: Any) -> None:
    container, w = world
    c, other = signed_in(app, w.tokens["operator"]), signed_in(app, w.tokens["operator"])
    for token in (None, csrf_of(other), "0" * 64):
        data = {"mode": "dry_run", "reason": "forged", **({"csrf": token} if token else {})}
        response = c.post("/console/rules/Q-VR-03/mode", data=data)
        assert response.status_code == 403
        assert "This form was not sent from this session" in response.text
    assert container.chirp_service.get_rule(w.merchant_a, "Q-VR-03").mode == "alerting"
    assert c.post("/console/sign-out", data={"csrf": csrf_of(other)}).status_code == 403
    assert c.get("/console/").status_code == 200


def test_an_expired_session_goes_back_to_sign_in_and_says_why(app: Any, world: Any) -> None:
    _, w = world
    c = client(app)
    token_id = w.tokens["analyst"].split("_")[1]
    stale, _ = app.state.console.signer.issue(token_id, NOW - app.state.console.signer.ttl)
    c.cookies.set("canary_console", stale, domain="testserver.local", path="/console")
    response = c.get("/console/detections")
    assert response.headers["location"] == "/console/sign-in?next=/console/detections&expired=1"
    assert "Your session ended" in c.get(response.headers["location"]).text


def test_a_tampered_cookie_is_no_session(app: Any, world: Any) -> None:
    _, w = world
    c = signed_in(app, w.tokens["analyst"])
    value = c.cookies.get("canary_console")
    c.cookies.clear()
    c.cookies.set("canary_console", value[:-1] + ("0" if value[-1] != "0" else "1"), path="/console")
    assert c.get("/console/").headers["location"] == "/console/sign-in?next=/console/"


def test_revoking_the_token_ends_its_console_sessions(app: Any, world: Any) -> None:
    container, w = world
    issued = container.tokens.create(w.merchant_a, "gm")
    c = signed_in(app, issued.token)
    assert c.get("/console/").status_code == 200
    container.tokens.revoke(w.merchant_a, issued.token_id)
    assert c.get("/console/").headers["location"].endswith("&expired=1")


def test_sign_out_ends_the_session_even_for_a_copied_cookie(app: Any, world: Any) -> None:
    _, w = world
    c = signed_in(app, w.tokens["exec"])
    copied = c.cookies.get("canary_console")
    response = c.post("/console/sign-out", data={"csrf": csrf_of(c)})
    assert (response.status_code, response.headers["location"]) == (303, "/console/sign-in")
    assert c.get("/console/").status_code == 303
    replay = client(app)
    replay.cookies.set("canary_console", copied, path="/console")
    assert replay.get("/console/").status_code == 303


# tenants ---------------------------------------------------------------------------------------------------


def test_another_tenants_ids_are_not_found_and_show_nothing_of_theirs(app: Any, world: Any) -> None:
    _, w = world
    c = signed_in(app, w.tokens["operator"])
    theirs = c.get(f"/console/detections/{w.detection_b.detection_id}")
    assert theirs.status_code == 404
    assert w.detection_b.detection_id in theirs.text  # only echoed in the "no detection" message
    assert "Substrate snapshot" not in theirs.text
    listing = c.get("/console/detections").text
    assert w.detection_a.detection_id in listing
    assert w.detection_b.detection_id not in listing
    b_customer = w.shop.alice.replace(w.shop.alice[-6:], "ZZZZZZ")
    assert c.get(f"/console/customers/{b_customer}").status_code == 404
    b = signed_in(app, w.token_b)
    assert b.get(f"/console/customers/{w.shop.alice}").status_code == 404
    assert w.detection_a.detection_id not in b.get("/console/detections").text


# filters, empty states, errors ------------------------------------------------------------------------


def test_detection_filters_narrow_the_list_and_say_what_to_do_when_empty(app: Any, world: Any) -> None:
    _, w = world
    c = signed_in(app, w.tokens["analyst"])
    found = w.detection_a.detection_id
    for query in (
        "rule=Q-VR-03",
        "family=void_return",
        "store=sq:location:L1",
        "employee=sq:employee:TM1",
        "from=2026-05-04&to=2026-05-04",
    ):
        assert found in c.get(f"/console/detections?{query}").text, query
    for query in ("rule=Q-VR-02", "family=tender_mix", "store=sq:location:L9", "from=2026-05-05"):
        response = c.get(f"/console/detections?{query}")
        assert found not in response.text, query
        assert "No detection matches these filters" in response.text


def test_bad_filters_are_a_message_on_the_page(app: Any, world: Any) -> None:
    _, w = world
    c = signed_in(app, w.tokens["analyst"])
    for query, message in (
        ("from=yesterday", "&#39;from&#39; must be a date like 2026-11-30."),
        ("from=2026-05-05&to=2026-05-01", "&#39;to&#39; is before &#39;from&#39;"),
        ("rule=DROP%20TABLE", "No rule &#39;DROP TABLE&#39;"),
        ("cursor=not-a-cursor", "cursor"),
    ):
        response = c.get(f"/console/detections?{query}")
        assert response.status_code == 400, query
        assert message in response.text, query
        assert '<label for="f-rule">Rule</label>' in response.text


def test_the_rules_page_shows_the_rollout_phase_and_what_the_runbook_asks_next(app: Any, world: Any) -> None:
    _, w = world
    text = signed_in(app, w.tokens["gm"]).get("/console/rules").text
    assert "Rollout: day 0, day 0 backfill dry run" in text
    assert "catalog not pinned" in text
    assert "pin the catalog version (pin_catalog_version)" in text


def test_unknown_rules_and_customers_are_not_found_pages(app: Any, world: Any) -> None:
    _, w = world
    c = signed_in(app, w.tokens["gm"])
    rule = c.get("/console/rules/Q-NOPE-01")
    assert (rule.status_code, "No rule &#39;Q-NOPE-01&#39; in the catalog" in rule.text) == (404, True)
    assert c.get("/console/customers?customer=nobody").status_code == 404
    assert c.get("/console/rules?family=nope").status_code == 400


def test_an_internal_failure_is_an_apology_never_a_traceback(
    app: Any, world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    container, w = world
    c = signed_in(app, w.tokens["analyst"])

    def broken(*_a: Any, **_k: Any) -> None:
        raise RuntimeError("psycopg: password=hunter2 at /srv/canary/core/rules")

    monkeypatch.setattr(container.chirp_service, "list_rules", broken)
    response = c.get("/console/rules")
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text


def test_the_stylesheet_is_served_locally(app: Any) -> None:
    response = client(app).get("/console/static/console.css")
    assert (response.status_code, response.headers["content-type"].startswith("text/css")) == (200, True)


def test_empty_merchant_pages_say_what_to_do(tmp_path: Path) -> None:
    with console_container(tmp_path) as container:
        from tests.support.pipeline import new_merchant

        merchant_id, _ = new_merchant(container)
        c = signed_in(create_app(container), container.tokens.create(merchant_id, "analyst").token)
        today = c.get("/console/").text
        listing = c.get("/console/detections").text
        rule = c.get("/console/rules/Q-VR-03").text
    assert "No new detections in the last 24 hours." in today
    assert "Every rule is in dry_run" in today
    assert "No events have arrived yet" in today
    assert "No detections yet. Rules in dry_run write none" in listing
    assert "No allow-list entries" in rule
