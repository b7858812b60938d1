"""The scripted player: a stand-in model for ``canary bench agents`` when none is configured.

It plays one case: makes the case's tool calls in order, one per turn, as a model would; then
writes the answer from what those calls returned (``Case.say``), naming each figure's call so Owl's
trace check passes only if the figure really is in that result. It never reads the truth: the
grade still checks the answer against the tables, so a tool that returns a wrong figure fails the
case even with this player. What it cannot measure is a model's choice of tools and words — the
report says which player ran.
"""

from __future__ import annotations

from typing import Any

from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from agents.evals.cases import Call, Case, Results, Said
from agents.evals.world import EvalWorld
from agents.scripted import call, final, scripted
from agents.trace import OUTPUT_TOOL, numbers_in, tool_calls

NAME = "scripted-player"


def player(case: Case, world: EvalWorld) -> FunctionModel:
    plan = case.calls(world)

    def step(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        made = [
            part
            for message in messages
            if isinstance(message, ModelResponse)
            for part in message.parts
            if isinstance(part, ToolCallPart) and not part.tool_name.startswith(OUTPUT_TOOL)
        ]
        if len(made) < len(plan):  # one call per turn, failed or not, so a failing tool ends the plan
            nxt = plan[len(made)]
            return call(nxt.tool, **nxt.args)
        returned = {(tool, repr(args)): result for tool, args, result in tool_calls(messages)}
        pairs = [(c, returned[(c.tool, repr(c.args))]) for c in plan if (c.tool, repr(c.args)) in returned]
        return final(info, **answer(case.say(Results(pairs))))

    return scripted(step, name=NAME)


def answer(said: list[Said]) -> dict[str, Any]:
    """Owl's output for what the player says: one clause per item, one figure per number."""
    clauses, figures = [], []
    for item in said:
        shown = f"{item.label}: {item.value}" if item.label else str(item.value)
        clauses.append(shown)
        if isinstance(item.value, int | float) and not isinstance(item.value, bool):
            figures.append(_figure(item.value, item.call, item.label))
        elif isinstance(item.value, str):  # a bare store code ("20") is a number to the trace check
            figures.extend(_figure(number, item.call, item.label) for number, _ in numbers_in(item.value))
    return {"answer": "; ".join(clauses) + "." if clauses else "Nothing found.", "figures": figures}


def _figure(value: int | float, made: Call | None, label: str) -> dict[str, Any]:
    if made is None:  # a number with no call behind it: Owl's trace check will refuse it
        return {"value": value, "tool": "", "args": {}, "label": label}
    return {"value": value, "tool": made.tool, "args": made.args, "label": label}
