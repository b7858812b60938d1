"""Tuning a rule from its page: a dry-run preview of the hit count over the last N days (read,
writes nothing), then applying it with a reason (rules:write); adding and revoking expiring
allow-list entries (rules:write)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from core.web.app import create_app
from tests.integration.console.test_routes import csrf_of, signed_in
from tests.support.console_world import console_container, seed

PREVIEW = {"parameter": "min_voids", "value": "4", "days": "14"}


@pytest.fixture
def world(tmp_path: Any) -> Iterator[tuple[Any, Any, Any]]:
    with console_container(tmp_path) as container:
        yield container, seed(container), create_app(container)


def post(c: Any, path: str, **form: str) -> Any:
    return c.post(f"/console/rules/Q-VR-03/{path}", data={"csrf": csrf_of(c), **form})


def test_an_operator_previews_the_hit_count_then_applies_the_change_with_a_reason(world: Any) -> None:
    container, w, app = world
    c = signed_in(app, w.tokens["operator"])
    preview = post(c, "preview", **PREVIEW)
    assert preview.status_code == 200
    text = " ".join(preview.text.split())
    assert "Dry run over the last 14 days: min_voids = 4" in text
    assert "With the current values: <strong>1</strong> hit(s)" in text
    assert "With min_voids = 4: <strong>0</strong> hit(s)" in text
    assert container.chirp_service.get_rule(w.merchant_a, "Q-VR-03").config_version == 1  # nothing written
    applied = post(c, "tune", parameter="min_voids", value="4", reason="too noisy at store one")
    assert "min_voids: 3 → 4 (config v2)." in applied.text
    assert {
        p.name: p.current for p in container.chirp_service.get_rule(w.merchant_a, "Q-VR-03").parameters
    } == {
        "min_voids": 4,
        "window_minutes": 240,
    }
    [entry, *_] = container.chirp_service.audit_log(w.merchant_a, rule_id="Q-VR-03").items
    assert (entry.action, entry.actor.split(":")[0], entry.reason) == (
        "rule.tune",
        "operator",
        "too noisy at store one",
    )


def test_an_analyst_may_preview_but_not_apply(world: Any) -> None:
    container, w, app = world
    c = signed_in(app, w.tokens["analyst"])
    preview = post(c, "preview", **PREVIEW)
    assert preview.status_code == 200
    assert "applying a change needs the rules:write scope" in preview.text
    assert "/tune" not in preview.text
    refused = post(c, "tune", parameter="min_voids", value="4", reason="too noisy at store one")
    assert refused.status_code == 403
    assert container.chirp_service.get_rule(w.merchant_a, "Q-VR-03").config_version == 1


def test_bad_values_and_missing_csrf_change_nothing_and_say_why(world: Any) -> None:
    container, w, app = world
    c = signed_in(app, w.tokens["operator"])
    for form, message in (
        ({**PREVIEW, "value": "1"}, "No preview: min_voids must be at least 2; got 1."),
        ({**PREVIEW, "value": "lots"}, "No preview: min_voids takes a number"),
        ({**PREVIEW, "parameter": "nope"}, "Q-VR-03 has no parameter &#39;nope&#39;"),
        ({**PREVIEW, "days": "5"}, "Preview over 7, 14, 30, 90 days."),
    ):
        response = post(c, "preview", **form)
        assert (response.status_code, message in response.text) == (400, True), form
    short = post(c, "tune", parameter="min_voids", value="4", reason="x")
    assert (short.status_code, "Nothing changed: a reason of at least 8 characters" in short.text) == (
        400,
        True,
    )
    forged = c.post(
        "/console/rules/Q-VR-03/tune", data={"parameter": "min_voids", "value": "4", "reason": "r" * 9}
    )
    assert forged.status_code == 403
    assert container.chirp_service.get_rule(w.merchant_a, "Q-VR-03").config_version == 1


def test_an_operator_adds_an_expiring_allow_list_entry_and_revokes_it(world: Any) -> None:
    container, w, app = world
    c = signed_in(app, w.tokens["operator"])
    added = post(
        c, "allow", scope="employee", scope_value="sq:employee:TM1", reason="trainee till", days="30"
    )
    assert added.status_code == 200
    [entry] = container.chirp_service.list_allow_list_entries(w.merchant_a, "Q-VR-03")
    assert f"Allow-list entry {entry.entry_id} added; it expires 2026-06-03." in added.text
    assert "employee=sq:employee:TM1" in added.text
    assert (entry.scope, entry.status, entry.created_by.split(":")[0]) == (
        {"employee": "sq:employee:TM1"},
        "active",
        "operator",
    )
    revoked = post(c, f"allow/{entry.entry_id}/revoke", reason="trainee has finished")
    assert f"Allow-list entry {entry.entry_id} revoked." in revoked.text
    [after] = container.chirp_service.list_allow_list_entries(w.merchant_a, "Q-VR-03")
    assert (after.status, after.revoke_reason) == ("revoked", "trainee has finished")


def test_allow_list_mistakes_and_refusals_change_nothing(world: Any) -> None:
    container, w, app = world
    operator, analyst = signed_in(app, w.tokens["operator"]), signed_in(app, w.tokens["analyst"])
    entry = {"scope": "employee", "scope_value": "sq:employee:TM1", "reason": "trainee till"}
    for form, message in (
        ({**entry, "days": "0"}, "Expire it in 1 to 365 days."),
        ({**entry, "days": "1000"}, "Expire it in 1 to 365 days."),
        ({**entry, "scope": "tier", "days": "30"}, "Nothing changed:"),
        ({**entry, "reason": "", "days": "30"}, "Nothing changed:"),
    ):
        response = post(operator, "allow", **form)
        assert (response.status_code, message in response.text) == (400, True), form
    assert post(analyst, "allow", **entry, days="30").status_code == 403
    assert container.chirp_service.list_allow_list_entries(w.merchant_a, "Q-VR-03") == []
    theirs = container.chirp_service.add_allow_list_entry(
        w.merchant_b,
        "Q-VR-03",
        {"employee": "sq:employee:TM1"},
        reason="merchant b's own entry",
        expires_at=container.clock.now() + timedelta(days=5),
        actor="test",
    )
    assert post(operator, f"allow/{theirs.entry_id}/revoke", reason="not mine to revoke").status_code == 404
    [kept] = container.chirp_service.list_allow_list_entries(w.merchant_b, "Q-VR-03")
    assert kept.status == "active"


def test_a_vertical_pack_is_previewed_by_anyone_and_applied_by_an_operator_with_a_reason(world: Any) -> None:
    container, w, app = world
    gm, operator = signed_in(app, w.tokens["gm"]), signed_in(app, w.tokens["operator"])
    preview = gm.get("/console/packs/garden-center")
    assert preview.status_code == 200
    assert "not applied to this tenant" in preview.text
    assert "Applying a pack needs the rules:write scope" in preview.text
    refused = gm.post(
        "/console/packs/garden-center/apply", data={"csrf": csrf_of(gm), "reason": "we sell plants"}
    )
    assert refused.status_code == 403
    short = operator.post(
        "/console/packs/garden-center/apply", data={"csrf": csrf_of(operator), "reason": "x"}
    )
    assert (short.status_code, "Nothing changed:" in short.text) == (400, True)
    assert container.chirp_service.preview_vertical_pack(w.merchant_a, "garden-center").applied is False
    done = operator.post(
        "/console/packs/garden-center/apply",
        data={"csrf": csrf_of(operator), "reason": "we are a garden center"},
    )
    assert "garden-center v1 applied" in done.text
    assert "applied to this tenant</span>" in done.text
    assert container.chirp_service.preview_vertical_pack(w.merchant_a, "garden-center").applied is True
    assert container.chirp_service.preview_vertical_pack(w.merchant_b, "garden-center").applied is False
    assert operator.get("/console/packs/nope").status_code == 404


def test_a_bubble_rule_previews_what_bubble_would_raise_current_vs_proposed(world: Any) -> None:
    """The rule page of A-BUBBLE-DEVICE previews from Bubble's stored device-hours (Chirp's journal
    holds no episodes): register D1's void spike of the last week is one hit with the current
    values, none with a floor on the peak score above it; nothing is written."""
    from dataclasses import replace

    from tests.support import bubble_world

    container, w, app = world
    shift = timedelta(weeks=7)  # the two-week world ends the day before the console's clock stops
    rows = [replace(r, hour=r.hour + shift) for r in bubble_world.world(prefix="sq:device:bubble-")]
    bubble_world.seed(container.db, rows, w.merchant_a)
    c = signed_in(app, w.tokens["operator"])
    version = container.chirp_service.get_rule(w.merchant_a, "A-BUBBLE-DEVICE").config_version
    for days in ("7", "90"):
        preview = c.post(
            "/console/rules/A-BUBBLE-DEVICE/preview",
            data={"csrf": csrf_of(c), "parameter": "min_peak_score", "value": "100", "days": days},
        )
        assert preview.status_code == 200
        text = " ".join(preview.text.split())
        assert f"Dry run over the last {days} days: min_peak_score = 100" in text
        assert "With the current values: <strong>1</strong> hit(s)" in text
        assert "With min_peak_score = 100: <strong>0</strong> hit(s)" in text
    assert container.chirp_service.get_rule(w.merchant_a, "A-BUBBLE-DEVICE").config_version == version
    assert container.chirp_service.query_detections(w.merchant_a, rule_id="A-BUBBLE-DEVICE").items == []
