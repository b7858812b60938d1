"""Owl: answers a merchant's loss-prevention questions from the MCP servers' read tools.

``owl`` is a module-level agent with no model and no toolsets of its own: a run is given the model
(``agents.model``) and the servers (``agents.servers``), so the same agent runs in tests on a
scripted model over in-process servers and in use on a real model over stdio or HTTP. Its output is
an ``OwlAnswer`` whose figures are checked against the run's own tool results before it is accepted
(``agents.trace``). ``ask`` runs one question and streams what happens to a callback.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic_ai import Agent, ModelRetry, RunContext
from pydantic_ai.messages import ModelMessage
from pydantic_ai.models import Model
from pydantic_ai.run import AgentRunResult, AgentRunResultEvent
from pydantic_ai.toolsets import AbstractToolset

import prompts
from agents import access
from agents.servers import ServerToolset
from agents.trace import OwlAnswer, untraced

RETRIES = 2


@dataclass
class OwlDeps:
    """Who is asking: the merchant the servers act for, and the asker's role (gm, analyst, …)."""

    merchant_id: str
    role: str = "analyst"
    today: datetime = field(default_factory=lambda: datetime.now(UTC))


owl: Agent[OwlDeps, OwlAnswer] = Agent(
    name="owl",
    deps_type=OwlDeps,
    output_type=OwlAnswer,
    instructions=prompts.text("owl.md"),
    retries=RETRIES,
    defer_model_check=True,
)


@owl.instructions
def _who(ctx: RunContext[OwlDeps]) -> str:
    return (
        f"The person asking is a {ctx.deps.role} of merchant {ctx.deps.merchant_id}. "
        f"Now is {ctx.deps.today:%Y-%m-%dT%H:%MZ} (UTC); 'today' and 'this month' are relative to it."
    )


@owl.output_validator
def _traced(ctx: RunContext[OwlDeps], output: OwlAnswer) -> OwlAnswer:
    if ctx.partial_output:
        return output
    problems = untraced(output, ctx.messages)
    if problems:
        raise ModelRetry(
            "Every number in the answer must be a figure from a tool result of this run: "
            + "; ".join(problems)
            + ". Call the tool, or remove the number."
        )
    return output


def toolsets(servers: Sequence[ServerToolset]) -> list[AbstractToolset[Any]]:
    """Owl's view of the servers: their read-only tools, decided from each tool's annotations."""
    return [access.read_only(s.toolset) for s in servers]


async def ask(
    question: str,
    deps: OwlDeps,
    servers: Sequence[ServerToolset],
    *,
    model: Model,
    history: Sequence[ModelMessage] | None = None,
    on_event: Callable[[Any], None] | None = None,
) -> AgentRunResult[OwlAnswer]:
    """One question, one answer; ``on_event`` sees every stream event as it happens (tool calls,
    their results, the answer as it is written)."""
    result: AgentRunResult[OwlAnswer] | None = None
    async with owl.run_stream_events(
        question,
        deps=deps,
        model=model,
        toolsets=toolsets(servers),
        message_history=list(history) if history else None,
    ) as events:
        async for event in events:
            if isinstance(event, AgentRunResultEvent):
                result = event.result
            elif on_event is not None:
                on_event(event)
    if result is None:  # the stream ends with the result event; anything else is a pydantic-ai bug
        raise RuntimeError("Owl's run ended without a result")
    return result
