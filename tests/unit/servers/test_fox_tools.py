"""canary-fox through an in-memory MCP client on a SQLite container: the tool surface (snapshot),
who may call what, read-only mode, the case lifecycle with its audit, notes cleaned on the way out,
evidence, outcomes feeding rule_outcome_stats and Chirp's promotion readiness, the digest and the
bundling policy."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastmcp import Client

from core.auth.principal import DEFAULT_SCOPES, Principal
from core.bootstrap import Container
from core.cases.domain.model import Alert, Severity
from core.db.tables.rules import DetectionRow
from core.db.tables.tenants import Merchant
from core.simulate.canonical import at
from servers.common import build_server
from servers.fox import SPEC
from tests.unit.servers.test_chirp_tools import sqlite_container

pytestmark = pytest.mark.anyio
MERCHANT = "m_chirp_tools"  # the merchant sqlite_container's clock and data are set up around
NOW = at(hours=3)
WHY = "checked the drawer counts with the GM"
OPERATOR = Principal(MERCHANT, "operator", frozenset(DEFAULT_SCOPES["operator"]), "memory", "tok_op")
ANALYST = Principal(MERCHANT, "analyst", frozenset(DEFAULT_SCOPES["analyst"]), "memory", "tok_an")
GM = Principal(MERCHANT, "gm", frozenset(DEFAULT_SCOPES["gm"]), "memory", "tok_gm")

# The tool-list snapshot: name → (sorted arguments, read-only, destructive, idempotent)
TOOLS: dict[str, tuple[list[str], bool, bool, bool]] = {
    "list_cases": (
        ["cursor", "employee_id", "limit", "location_id", "min_severity", "queue", "state"],
        True,
        False,
        True,
    ),
    "get_case": (["case_id"], True, False, True),
    "top_cases": (["limit", "queue"], True, False, True),
    "rule_outcome_stats": (["rule_id", "since", "until"], True, False, True),
    "case_digest": (["end", "period"], True, False, True),
    "start_investigation": (["assignee", "case_id", "reason"], False, False, False),
    "add_case_note": (["body", "case_id"], False, False, False),
    "attach_evidence": (["case_id", "kind", "note", "ref"], False, False, False),
    "resolve_case": (["case_id", "outcome", "reason"], False, False, False),
    "dismiss_case": (["case_id", "outcome", "reason"], False, True, True),
    "reopen_case": (["case_id", "reason"], False, False, False),
    "set_bundling_policy": (["by", "family", "window_hours"], False, False, True),
}
READ = {name for name, (_a, read_only, _d, _i) in TOOLS.items() if read_only}
CASE_WRITES = {
    "start_investigation",
    "add_case_note",
    "attach_evidence",
    "resolve_case",
    "dismiss_case",
    "reopen_case",
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def container(tmp_path: Path) -> Iterator[Container]:
    with sqlite_container(tmp_path) as built:
        with built.db.tenant(MERCHANT) as s:
            s.add(Merchant(id=MERCHANT, name="Greenleaf Garden Center"))
        yield built


@asynccontextmanager
async def fox(
    container: Container, principal: Principal = ANALYST, *, read_only: bool = False
) -> AsyncIterator[Client[Any]]:
    async with Client(
        build_server(SPEC, container=container, principal=principal, read_only=read_only)
    ) as client:
        yield client


async def call(client: Client[Any], tool: str, **arguments: Any) -> Any:
    return (await client.call_tool(tool, arguments)).structured_content


async def refusal(client: Client[Any], tool: str, **arguments: Any) -> str:
    result = await client.call_tool(tool, arguments, raise_on_error=False)
    assert result.is_error, f"{tool} should have been refused"
    text: str = result.content[0].text  # type: ignore[union-attr]
    return text


def voids(container: Container, n: int = 3, *, session: str = "sess_1", start: int = 0) -> list[str]:
    """Q-VR-03 detections (stored, as Chirp writes them) and their alerts through the fox consumer."""
    alerts = [
        Alert(
            detection_id=f"det_{session}_{i}",
            rule_id="Q-VR-03",
            family="void_return",
            severity=Severity.LOW,
            queue="fraud",
            occurred_at=at(hours=-10) + timedelta(minutes=10 * i),
            summary=f"void cluster {i}",
            employee_id="sq:employee:TM1",
            location_id="sq:location:L1",
            station_id="sq:device:D1",
            drawer_session_id=session,
        )
        for i in range(start, start + n)
    ]
    with container.db.tenant(MERCHANT) as s:
        for a in alerts:
            s.add(
                DetectionRow(
                    merchant_id=MERCHANT,
                    id=a.detection_id,
                    rule_id=a.rule_id,
                    rule_version=1,
                    catalog_version="1.0.0",
                    family=a.family,
                    severity=a.severity.value,
                    queue=a.queue,
                    mode="alerting",
                    evidence_seq=7,
                    event_kind="transaction",
                    occurred_at=a.occurred_at,
                    summary=a.summary,
                    alert_state="published",
                )
            )
    container.fox_stage.process(MERCHANT, alerts)
    return [a.detection_id for a in alerts]


async def test_the_tool_list_matches_the_design_with_honest_annotations(container: Container) -> None:
    async with fox(container) as client:
        tools = {t.name: t for t in await client.list_tools()}
    assert set(tools) == set(TOOLS)
    for name, (arguments, read_only, destructive, idempotent) in TOOLS.items():
        hints = tools[name].annotations
        assert hints is not None
        assert sorted(tools[name].input_schema["properties"]) == arguments, name
        assert (
            hints.read_only_hint,
            hints.destructive_hint,
            hints.idempotent_hint,
            hints.open_world_hint,
        ) == (
            read_only,
            destructive,
            idempotent,
            False,
        ), name
    for tool in tools.values():
        assert tool.output_schema is not None, tool.name
        assert len(tool.description or "") > 80, f"{tool.name} needs a real description"
        undescribed = [n for n, p in tool.input_schema["properties"].items() if not p.get("description")]
        assert undescribed == [], f"{tool.name} has undescribed arguments"


async def test_read_only_mode_hides_and_refuses_every_write_tool(container: Container) -> None:
    [first, *_] = voids(container)
    case_id = container.fox_service.top_cases(MERCHANT).items[0].case_id
    async with fox(container, OPERATOR, read_only=True) as client:
        names = {t.name for t in await client.list_tools()}
        refused = await refusal(client, "start_investigation", case_id=case_id)
    assert names == READ
    assert "Unknown tool" in refused
    assert container.fox_service.get_case(MERCHANT, case_id).case.state == "open"
    assert first


async def test_case_writes_need_the_cases_scope_and_the_policy_needs_an_operator(
    container: Container,
) -> None:
    voids(container)
    case_id = container.fox_service.top_cases(MERCHANT).items[0].case_id
    async with fox(container, GM) as client:
        gm = await refusal(client, "add_case_note", case_id=case_id, body="looks odd")
        listed = await call(client, "list_cases")
    async with fox(container, ANALYST) as client:
        policy = await refusal(
            client, "set_bundling_policy", family="void_return", by="store", window_hours=48
        )
        note = await call(client, "add_case_note", case_id=case_id, body="looks odd")
    async with fox(container, OPERATOR) as client:
        set_ = await call(client, "set_bundling_policy", family="void_return", by="store", window_hours=48)
    assert gm == "this tool needs the 'cases:write' scope; this gm's token has: read"
    assert [c["case_id"] for c in listed["items"]] == [case_id]
    assert policy == "this tool needs the 'rules:write' scope; this analyst's token has: cases:write, read"
    assert note["author"] == "analyst:tok_an"
    assert (set_["by"], set_["window_hours"], set_["source"], set_["updated_by"]) == (
        "store",
        48,
        "tenant",
        "operator:tok_op",
    )


async def test_a_case_is_worked_to_an_outcome_with_every_transition_audited(container: Container) -> None:
    detections = voids(container)
    async with fox(container) as client:
        [top] = (await call(client, "top_cases"))["items"]
        case_id = top["case_id"]
        early = await refusal(client, "resolve_case", case_id=case_id, outcome="confirmed_fraud", reason=WHY)
        started = await call(client, "start_investigation", case_id=case_id)
        again = await refusal(client, "start_investigation", case_id=case_id)
        wrong = await refusal(client, "dismiss_case", case_id=case_id, outcome="confirmed_fraud", reason=WHY)
        resolved = await call(client, "resolve_case", case_id=case_id, outcome="false_positive", reason=WHY)
        stats = await call(client, "rule_outcome_stats", since="2026-01-01T00:00:00Z")
        reopened = await call(client, "reopen_case", case_id=case_id, reason="new footage came in")
        dismissed = await call(client, "dismiss_case", case_id=case_id, outcome="unactionable", reason=WHY)
        detail = await call(client, "get_case", case_id=case_id)
    assert (top["detections"], top["severity"], top["queue"]) == (3, "medium", "fraud")
    assert early == f"case {case_id} is open: it cannot be resolved; start_investigation or dismiss it"
    assert (started["case"]["state"], started["case"]["assignee"]) == ("in_progress", "analyst:tok_an")
    assert again == f"case {case_id} is in_progress: it cannot be started; resolve or dismiss it"
    assert wrong == "invalid arguments: outcome: Input should be 'false_positive' or 'unactionable'"
    assert (resolved["case"]["state"], resolved["case"]["outcome"]) == ("resolved", "false_positive")
    [q] = stats["rules"]
    assert (q["rule_id"], q["hits"], q["cases"], q["outcomes"]["false_positive"]) == ("Q-VR-03", 3, 1, 3)
    assert (q["false_positive_rate"], q["precision"]) == (1.0, 0.0)
    assert (reopened["case"]["state"], reopened["case"]["outcome"]) == ("open", None)
    assert dismissed["case"]["state"] == "dismissed"
    assert [(t["action"], t["from_state"], t["to_state"], t["actor"]) for t in detail["transitions"]] == [
        ("start", "open", "in_progress", "analyst:tok_an"),
        ("resolve", "in_progress", "resolved", "analyst:tok_an"),
        ("reopen", "resolved", "open", "analyst:tok_an"),
        ("dismiss", "open", "dismissed", "analyst:tok_an"),
    ]
    assert [d["detection_id"] for d in detail["detections"]] == detections
    assert detail["escalations"][0]["to_severity"] == "medium"
    assert "3 low-or-higher detections within 7 days" in detail["escalations"][0]["reason"]


async def test_outcomes_reach_chirps_dry_runs_and_promotion_readiness_and_reopening_clears_them(
    container: Container,
) -> None:
    voids(container, 6)
    case_id = container.fox_service.top_cases(MERCHANT).items[0].case_id
    dry = lambda: container.chirp_service.dry_run_rule(MERCHANT, "Q-VR-03", at(days=-2), at(days=1))  # noqa: E731
    assert (dry().outcomes, dry().false_positive_rate) == (0, None)
    async with fox(container) as client:
        await call(client, "dismiss_case", case_id=case_id, outcome="false_positive", reason=WHY)
        judged = dry()
        readiness = container.chirp_service.check_readiness(MERCHANT, "Q-VR-03")  # what promote_rule checks
        await call(client, "reopen_case", case_id=case_id, reason="reconsidered")
    assert (judged.outcomes, judged.false_positive_rate) == (6, 1.0)
    assert (readiness.outcomes, readiness.false_positive_rate, readiness.ready) == (6, 1.0, False)
    assert any("false-positive" in r or "false positive" in r for r in readiness.reasons), readiness.reasons
    assert dry().outcomes == 0
    assert container.chirp_service.check_readiness(MERCHANT, "Q-VR-03").outcomes == 0


async def test_notes_are_cleaned_on_the_way_out_and_bad_input_gets_a_clear_error(
    container: Container,
) -> None:
    voids(container)
    case_id = container.fox_service.top_cases(MERCHANT).items[0].case_id
    async with fox(container) as client:
        await call(client, "add_case_note", case_id=case_id, body="ok\u202e\x1b[31m red\x07 " + "x" * 600)
        detail = await call(client, "get_case", case_id=case_id)
        missing = await refusal(client, "get_case", case_id="case_nope")
        bad_state = await refusal(client, "list_cases", state="closed")
    async with fox(container, OPERATOR) as client:
        family = await refusal(client, "set_bundling_policy", family="bakery", by="store", window_hours=5)
    [note] = detail["notes"]
    assert note["body"].startswith("ok red")
    assert "\x1b" not in note["body"] and "\u202e" not in note["body"]  # noqa: PT018
    assert len(note["body"]) == 500
    assert missing == "no case 'case_nope': list_cases or top_cases list the case ids"
    assert bad_state.startswith("invalid arguments: state")
    assert family.startswith("unknown rule family 'bakery': choose from")


async def test_evidence_is_attached_once_with_its_ledger_status(container: Container) -> None:
    [det, *_] = voids(container)
    case_id = container.fox_service.top_cases(MERCHANT).items[0].case_id
    async with fox(container) as client:
        first = await call(
            client, "attach_evidence", case_id=case_id, kind="detection", ref=det, note="the first"
        )
        twice = await call(
            client, "attach_evidence", case_id=case_id, kind="detection", ref=det, note="again"
        )
        unknown = await refusal(
            client, "attach_evidence", case_id=case_id, kind="transaction", ref="sq:order:X"
        )
        detail = await call(client, "get_case", case_id=case_id)
    assert (first["evidence_seq"], first["note"], twice["note"]) == (7, "the first", "the first")
    assert first["receipt"] is None  # this test's detection names a sealed event the ledger lacks
    assert first["receipt_status"].startswith("no receipt yet")
    assert unknown == "no transaction 'sq:order:X' for this merchant"
    assert [e["ref"] for e in detail["evidence"]] == [det]


async def test_the_digest_and_a_tenant_policy_change_how_alerts_bundle(container: Container) -> None:
    voids(container, 2, session="s1")
    async with fox(container, OPERATOR) as client:
        await call(client, "set_bundling_policy", family="void_return", by="store", window_hours=24)
        voids(container, 2, session="s2", start=5)  # another session, same store: joins by store now
        cases = (await call(client, "list_cases"))["items"]
        digest = await call(client, "case_digest", period="daily", end=(NOW + timedelta(hours=1)).isoformat())
    assert sorted(c["detections"] for c in cases) == [2, 2]
    assert {c["title"].split(":")[0] for c in cases} == {"void return"}
    assert (digest["opened"], digest["closed"], digest["confirmed_fraud_rate"]) == (2, 0, None)
    assert digest["top_patterns"] == [{"rule_id": "Q-VR-03", "detections": 4}]
    assert digest["open_by_store"][0]["open_cases"] == 2


async def test_top_cases_ranks_open_and_in_progress_cases_together_and_skips_closed_ones(
    container: Container,
) -> None:
    voids(container, 3, session="a")  # medium after escalation
    voids(container, 1, session="b", start=10)  # low
    voids(container, 2, session="c", start=20)  # low, two detections
    by_session = {
        d.drawer_session_id: case.case_id
        for case in container.fox_service.list_cases(MERCHANT).items
        for d in container.fox_service.get_case(MERCHANT, case.case_id).detections[:1]
    }
    async with fox(container) as client:
        await call(client, "start_investigation", case_id=by_session["a"])
        await call(client, "dismiss_case", case_id=by_session["c"], outcome="unactionable", reason=WHY)
        top = (await call(client, "top_cases"))["items"]
        review = (await call(client, "top_cases", queue="review"))["items"]
    assert [(c["case_id"], c["state"], c["severity"]) for c in top] == [
        (by_session["a"], "in_progress", "medium"),
        (by_session["b"], "open", "low"),
    ]
    assert review == []
