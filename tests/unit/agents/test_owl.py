"""Owl on a scripted model over the real servers in process: which tools it is offered, that its
answers trace to tool results (and are refused when they do not), and that it sees one merchant."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic_ai.exceptions import UnexpectedModelBehavior
from pydantic_ai.messages import FunctionToolCallEvent, ModelMessage, ModelResponse
from pydantic_ai.models.function import AgentInfo

from agents import servers
from agents.owl import OwlDeps, ask
from agents.scripted import call, final, returns, scripted
from agents.trace import OwlAnswer, tool_calls
from tests.unit.agents.conftest import AgentWorld

pytestmark = pytest.mark.anyio


async def test_owl_is_offered_only_tools_whose_annotations_say_read_only(world: AgentWorld) -> None:
    seen: dict[str, Any] = {}

    def step(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        seen.update({t.name: (t.metadata or {}).get("annotations") for t in info.function_tools})
        return final(info, answer="nothing to report", figures=[])

    # Servers started read-write on purpose: the annotation filter alone must keep writes out.
    every = servers.in_process(world.container, world.principal("operator"))
    all_tools = {}
    for s in every:
        async with s.toolset:
            all_tools.update({t.name: t.annotations for t in await s.toolset.list_tools()})
    await ask("anything?", OwlDeps(world.shop.merchant_id), every, model=scripted(step))

    writes = {name for name, marks in all_tools.items() if not marks.read_only_hint}
    assert {"tune_rule_threshold", "promote_rule", "revoke_allow_list_entry"} <= writes
    assert seen
    assert set(seen) == set(all_tools) - writes
    assert all(marks["readOnlyHint"] is True for marks in seen.values())


def metrics_script(customer: str, *, cheat: bool = False) -> Any:
    """Look the customer up, then answer with the net spend and sale count from the result."""

    def step(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        got = returns(messages)
        if not got:
            return call("customer_metrics", customer=customer)
        metrics = got[0].content
        net, sales = metrics["lifetime_value_net_cents"], metrics["transaction_count"]
        shown = net + 100 if cheat else net  # a cheat writes a dollar more than the tool said
        return final(
            info,
            answer=f"{customer} has spent ${shown / 100:,.2f} net over {sales} sales.",
            figures=[
                {"value": shown, "tool": "customer_metrics", "args": {"customer": customer}, "label": "net"},
                {
                    "value": sales,
                    "tool": "customer_metrics",
                    "args": {"customer": customer},
                    "label": "sales",
                },
            ],
        )

    return step


async def test_an_answer_carries_each_figure_with_the_tool_call_it_came_from(world: AgentWorld) -> None:
    events: list[Any] = []
    toolsets = servers.in_process(world.container, world.principal(), read_only=True)
    result = await ask(
        "How much has Alice spent?",
        OwlDeps(world.shop.merchant_id, role="gm"),
        toolsets,
        model=scripted(metrics_script(world.shop.alice)),
        on_event=events.append,
    )
    answer = result.output
    assert isinstance(answer, OwlAnswer)
    assert answer.answer == f"{world.shop.alice} has spent $125.00 net over 2 sales."
    assert [(f.tool, f.args, f.value) for f in answer.figures] == [
        ("customer_metrics", {"customer": world.shop.alice}, 12_500),
        ("customer_metrics", {"customer": world.shop.alice}, 2),
    ]
    [(tool, args, returned)] = tool_calls(result.all_messages())
    assert (tool, args, returned["lifetime_value_net_cents"]) == (
        "customer_metrics",
        answer.figures[0].args,
        12_500,
    )
    streamed = [e.part.tool_name for e in events if isinstance(e, FunctionToolCallEvent)]
    assert streamed == ["customer_metrics"]


async def test_a_figure_no_tool_returned_fails_the_answer(world: AgentWorld) -> None:
    toolsets = servers.in_process(world.container, world.principal(), read_only=True)
    cheat = metrics_script(world.shop.alice, cheat=True)
    told: list[str] = []

    def step(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        told.extend(str(p.content) for p in returns(messages[-1:]) if p.tool_name == "final_result")
        return cheat(messages, info)

    with pytest.raises(UnexpectedModelBehavior, match="Exceeded maximum output retries"):
        await ask(
            "How much has Alice spent?", OwlDeps(world.shop.merchant_id), toolsets, model=scripted(step)
        )
    assert len(told) == 2  # sent back twice with the reason, then the run fails
    assert (
        f"12600 does not occur in the result of customer_metrics({{'customer': '{world.shop.alice}'}})"
        in told[0]
    )


async def test_a_retry_that_removes_the_untraced_number_is_accepted(world: AgentWorld) -> None:
    sent_back: list[str] = []

    def step(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        retries = [p for p in returns(messages) if p.tool_name == "final_result"]
        if not retries:
            return final(info, answer="About 40 cases are open.", figures=[])
        sent_back.append(str(retries[-1].content))
        return final(info, answer="I cannot count open cases with the tools I have.", figures=[])

    result = await ask(
        "How many cases are open?",
        OwlDeps(world.shop.merchant_id),
        servers.in_process(world.container, world.principal(), read_only=True),
        model=scripted(step),
    )
    assert result.output.figures == []
    assert "40 appears in the answer but is not one of its figures" in sent_back[0]


async def test_an_owl_for_one_merchant_cannot_reach_another_merchants_data(world: AgentWorld) -> None:
    def step(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        got = returns(messages)
        if not got:
            return call("lookup_customer", customer=world.other.alice)
        if len(got) == 1:
            return call("customer_segments")
        return final(info, answer=str(got[0].content.get("message")), figures=[])

    result = await ask(
        "Look up the other shop's Alice",
        OwlDeps(world.shop.merchant_id),
        servers.in_process(world.container, world.principal(), read_only=True),
        model=scripted(step),
    )
    [(_, _, looked_up), (_, _, segments)] = tool_calls(result.all_messages())
    assert looked_up["found"] is False
    assert result.output.answer == f"No customer '{world.other.alice}' for this merchant."
    # Merchant A's own three customers, none of B's: 2 regular... as counted in mcp_world.
    assert sum(s["customers"] for s in segments["segments"]) + segments["never_seen"] == 3
