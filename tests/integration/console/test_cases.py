"""Working a case from the console (canary-fox's service, FoxService): start, note, attach with a
ledger receipt, resolve as confirmed fraud and see the rule's outcome statistics change, reopen;
who may, CSRF, mistakes shown on the page, another merchant's case not found."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from core.bootstrap import Container
from core.web.app import create_app
from tests.integration.console.test_routes import csrf_of, signed_in
from tests.support.console_world import ConsoleWorld, console_container, seed


@pytest.fixture
def world(tmp_path: Any) -> Iterator[tuple[Container, ConsoleWorld, Any]]:
    with console_container(tmp_path) as container:
        yield container, seed(container), create_app(container)


def act(c: Any, case_id: str, action: str, **form: str) -> Any:
    return c.post(f"/console/cases/{case_id}/{action}", data={"csrf": csrf_of(c), **form})


def test_an_analyst_works_a_case_to_confirmed_fraud_and_the_rules_outcomes_change(world: Any) -> None:
    container, w, app = world
    c = signed_in(app, w.tokens["analyst"])
    before = c.get("/console/rules/Q-VR-03").text
    assert "none yet (no closed case)" in before
    today = c.get("/console/").text
    assert "Open cases that most need attention" in today
    assert w.case_a in today

    started = act(c, w.case_a, "start", assignee="sam")
    assert (started.status_code, started.headers["location"]) == (
        303,
        f"/console/cases/{w.case_a}?done=start",
    )
    assert "Investigation started." in c.get(started.headers["location"]).text
    assert act(c, w.case_a, "note", body="Checked the CCTV for 14:20").status_code == 303
    attached = act(
        c, w.case_a, "attach", kind="detection", ref=w.detection_a.detection_id, note="the cluster"
    )
    assert attached.status_code == 303
    resolved = act(
        c, w.case_a, "resolve", outcome="confirmed_fraud", reason="voids were staged, confirmed on tape"
    )
    assert resolved.status_code == 303

    page = c.get(resolved.headers["location"]).text
    assert "Case resolved" in page
    assert "<strong>resolved</strong> · outcome confirmed_fraud · assigned to sam" in page
    assert "Checked the CCTV for 14:20" in page
    # This world's events never went through the ledger, so the badge says why there is no receipt.
    assert "no receipt yet: merchant" in page
    assert "analyst:" in page
    assert "voids were staged, confirmed on tape" in page
    assert "Reopen" in page
    assert "Start investigation" not in page
    after = c.get("/console/rules/Q-VR-03").text
    assert "confirmed_fraud: 1" in after
    assert "1 confirmed_fraud" in c.get("/console/rules").text
    assert container.chirp_service.get_detection_detail(
        w.merchant_a, w.detection_a.detection_id
    ).detection.outcome == ("confirmed_fraud")

    reopened = act(c, w.case_a, "reopen", reason="the tape was from another day")
    assert reopened.status_code == 303
    assert container.fox_service.get_case(w.merchant_a, w.case_a).case.state == "open"


@pytest.mark.parametrize("role", ["gm", "exec", "ops"])
def test_a_role_without_cases_write_sees_the_case_but_cannot_work_it(world: Any, role: str) -> None:
    container, w, app = world
    c = signed_in(app, w.tokens[role])
    page = c.get(f"/console/cases/{w.case_a}").text
    assert "Working a case needs the cases:write scope" in page
    for action, form in (
        ("start", {}),
        ("note", {"body": "hello"}),
        ("attach", {"kind": "detection", "ref": w.detection_a.detection_id}),
        ("dismiss", {"outcome": "false_positive", "reason": "looks fine to me"}),
    ):
        response = act(c, w.case_a, action, **form)
        assert response.status_code == 403, action
        assert "needs the &#39;cases:write&#39; scope" in response.text
    detail = container.fox_service.get_case(w.merchant_a, w.case_a)
    assert (detail.case.state, detail.notes, detail.evidence) == ("open", [], [])


def test_a_case_form_without_the_sessions_csrf_token_changes_nothing(world: Any) -> None:
    container, w, app = world
    c = signed_in(app, w.tokens["operator"])
    response = c.post(f"/console/cases/{w.case_a}/start", data={"csrf": "forged"})
    assert response.status_code == 403
    assert container.fox_service.get_case(w.merchant_a, w.case_a).case.state == "open"


def test_mistakes_are_messages_on_the_case_page_and_change_nothing(world: Any) -> None:
    container, w, app = world
    c = signed_in(app, w.tokens["analyst"])
    for action, form, message in (
        ("resolve", {"outcome": "confirmed_fraud", "reason": "because"}, "it cannot be resolved"),
        ("dismiss", {"outcome": "confirmed_fraud", "reason": "not a real case"}, "a dismissed case"),
        ("dismiss", {"outcome": "false_positive"}, "give a reason"),
        ("note", {"body": "   "}, "a note needs some text"),
        ("attach", {"kind": "detection", "ref": "no-such-detection"}, "no detection"),
        ("attach", {"kind": "receipt", "ref": "x"}, "kind must be one of"),
    ):
        response = act(c, w.case_a, action, **form)
        assert response.status_code == 400, action
        assert message in response.text, (action, response.text[-1500:])
        assert '<label for="note-body">Note</label>' in response.text
    detail = container.fox_service.get_case(w.merchant_a, w.case_a)
    assert (detail.case.state, detail.notes, detail.evidence) == ("open", [], [])


def test_another_merchants_case_is_not_found_to_read_or_work(world: Any) -> None:
    container, w, app = world
    c = signed_in(app, w.tokens["operator"])
    read = c.get(f"/console/cases/{w.case_b}")
    assert (read.status_code, "Audit trail" in read.text) == (404, False)
    worked = act(c, w.case_b, "dismiss", outcome="false_positive", reason="not ours to dismiss")
    assert worked.status_code == 404
    assert container.fox_service.get_case(w.merchant_b, w.case_b).case.state == "open"
    assert w.case_b not in c.get("/console/cases").text


def test_case_filters_and_their_empty_state(world: Any) -> None:
    _, w, app = world
    c = signed_in(app, w.tokens["gm"])
    assert w.case_a in c.get("/console/cases?state=open&queue=fraud&store=sq:location:L1").text
    empty = c.get("/console/cases?state=resolved").text
    assert "No case matches these filters" in empty
    bad = c.get("/console/cases?severity=huge")
    assert (bad.status_code, "severity must be one of" in bad.text) == (400, True)


def test_the_digest_sets_this_period_against_the_one_before(world: Any) -> None:
    container, w, app = world
    container.clock.advance(hours=1)  # the case opened at NOW; the digest's window ends before "now"
    c = signed_in(app, w.tokens["gm"])
    weekly = " ".join(c.get("/console/digest").text.split())
    assert '<th scope="row">Cases opened</th><td>1</td><td>0</td>' in weekly
    assert ">Q-VR-03</a>: 1 detection(s)" in weekly
    assert (
        f'<td>sq:location:L1</td><td>1</td><td>medium</td><td><a href="/console/cases/{w.case_a}">' in weekly
    )
    assert w.case_b not in weekly
    assert "Daily digest" in c.get("/console/digest?period=daily").text
    bad = c.get("/console/digest?period=monthly")
    assert (bad.status_code, "The digest is daily or weekly." in bad.text) == (400, True)
