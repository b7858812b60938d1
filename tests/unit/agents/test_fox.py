"""Fox on a scripted model over the real servers in process: agent-driven tuning from the scorecard
to an approved, audited write; a denied write that never runs; a destructive call that waits too."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic_ai.messages import ModelMessage, ModelResponse
from pydantic_ai.models.function import AgentInfo

from agents import servers
from agents.fox import FoxDeps, FoxReport, WriteCall, work
from agents.scripted import call, final, returns, scripted
from tests.unit.agents.conftest import AgentWorld

pytestmark = pytest.mark.anyio
WINDOW = {"start": "2026-05-04T00:00:00Z", "end": "2026-05-05T00:00:00Z"}
WHY = "dry run: one cluster a day at 3 voids, none at 5"


def tuning_script(rule: str = "Q-VR-03", proposed: int = 5) -> Any:
    """scorecard → dry run (today's values) → dry run (proposed) → the write → a report of it."""

    def step(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        got = [r for r in returns(messages) if r.tool_name != "final_result"]
        if len(got) == 0:
            return call("substrate_scorecard")
        if len(got) == 1:
            return call("dry_run_rule", rule_id=rule, **WINDOW)
        if len(got) == 2:
            return call("dry_run_rule", rule_id=rule, params={"min_voids": proposed}, **WINDOW)
        if len(got) == 3:
            return call(
                "tune_rule_threshold", rule_id=rule, parameter="min_voids", value=proposed, reason=WHY
            )
        current, tuned = got[1].content, got[2].content
        args = {"rule_id": rule, "parameter": "min_voids", "value": proposed, "reason": WHY}
        return final(
            info,
            summary=f"last write: {got[3].content}",
            proposal={
                "kind": "tune",
                "rule_id": rule,
                "tool": "tune_rule_threshold",
                "args": args,
                "readiness": {
                    "rule_id": rule,
                    "current_hits": current["hits"],
                    "dry_run_hits": tuned["hits"],
                    "events_in_range": current["events_in_range"],
                },
            },
        )

    return step


async def test_tuning_goes_from_scorecard_and_dry_run_to_an_approved_write_audited_as_the_approver(
    world: AgentWorld,
) -> None:
    asked: list[WriteCall] = []
    merchant = world.shop.merchant_id
    toolsets = servers.in_process(world.container, world.principal("operator", token="alice"))
    outcome = await work(
        "Q-VR-03 is noisy; tune it.",
        FoxDeps(merchant, operator="alice"),
        toolsets,
        model=scripted(tuning_script()),
        approve=lambda c: asked.append(c) or True,
    )
    assert [c.tool for c in asked] == ["tune_rule_threshold"]  # reads ran without asking
    assert [(c.tool, c.args["value"]) for c in outcome.executed] == [("tune_rule_threshold", 5)]
    assert isinstance(outcome.report, FoxReport)
    assert outcome.report.proposal is not None
    readiness = outcome.report.proposal.readiness
    assert readiness is not None
    assert (readiness.current_hits, readiness.dry_run_hits, readiness.events_in_range) == (1, 0, 4)
    [entry] = world.container.chirp_service.audit_log(
        merchant, rule_id="Q-VR-03", start=None, end=None, cursor=None, limit=5
    ).items
    assert (entry.action, entry.actor, entry.reason) == ("rule.tune", "operator:alice", WHY)
    assert (entry.before["params"]["min_voids"], entry.after["params"]["min_voids"]) == (3, 5)


async def test_a_denied_write_is_never_executed(world: AgentWorld) -> None:
    merchant = world.other.merchant_id
    toolsets = servers.in_process(world.container, world.principal("operator", merchant, token="bob"))
    outcome = await work(
        "Tune Q-VR-03.",
        FoxDeps(merchant, operator="bob"),
        toolsets,
        model=scripted(tuning_script(proposed=4)),
        approve=lambda c: "not today: wait for the month-end review",
    )
    assert [c.tool for c in outcome.denied] == ["tune_rule_threshold"]
    assert outcome.executed == []
    assert outcome.report is not None
    assert "not today" in outcome.report.summary
    page = world.container.chirp_service.audit_log(
        merchant, rule_id="Q-VR-03", start=None, end=None, cursor=None, limit=5
    )
    assert page.items == []
    rule = world.container.chirp_service.get_rule(merchant, "Q-VR-03")
    assert {p.name: p.current for p in rule.parameters}["min_voids"] == 3


async def test_a_destructive_call_waits_for_approval_like_every_write(world: AgentWorld) -> None:
    merchant = world.shop.merchant_id
    scope = {"employee": "sq:employee:TM1"}

    def step(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        got = [r for r in returns(messages) if r.tool_name != "final_result"]
        if not got:
            return call("add_allow_list_entry", rule_id="Q-VR-03", scope=scope, reason=WHY, expires_in_days=7)
        if len(got) == 1:
            return call("revoke_allow_list_entry", entry_id=got[0].content["entry_id"], reason=WHY)
        return final(info, summary="added, then asked to revoke")

    toolsets = servers.in_process(world.container, world.principal("operator", token="alice"))
    outcome = await work(
        "Allow TM1's training voids for a week.",
        FoxDeps(merchant, operator="alice"),
        toolsets,
        model=scripted(step),
        approve=lambda c: c.tool == "add_allow_list_entry",
    )
    assert [c.tool for c in outcome.executed] == ["add_allow_list_entry"]
    assert [c.tool for c in outcome.denied] == ["revoke_allow_list_entry"]
    [entry] = world.container.chirp_service.get_rule(merchant, "Q-VR-03").allow_list
    assert entry.revoked_at is None
