"""Fox: works cases and tunes rules, and asks a person before every write.

``fox`` is a module-level agent (model and servers given per run, like Owl's). Its toolsets are the
servers' tools with every non-read-only tool wrapped for approval (``agents.access``): when the
model calls one, the run ends with ``DeferredToolRequests`` instead of running it. ``work`` loops:
it asks ``approve`` about each pending write, resumes the run with the verdicts, and returns the
final ``FoxReport`` together with what really ran and what was refused, read from the message
history (not from the model's account of it). A denied write is answered with the denial and never
reaches the server. The servers act as the approving person (``FoxDeps.operator``), so the audit log
names whoever said yes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field
from pydantic_ai import Agent, RunContext
from pydantic_ai.messages import ModelMessage, ModelRequest, ToolCallPart, ToolReturnPart
from pydantic_ai.models import Model
from pydantic_ai.tools import DeferredToolRequests, DeferredToolResults, ToolDenied
from pydantic_ai.toolsets import AbstractToolset

import prompts
from agents import access
from agents.servers import ServerToolset

MAX_ROUNDS = 12  # approval rounds in one piece of work; a model that keeps asking is stopped


@dataclass
class FoxDeps:
    merchant_id: str
    operator: str  # the person at the terminal, who approves the writes
    case_id: str | None = None


class Readiness(BaseModel):
    """The evidence behind a tuning proposal, as the tools reported it."""

    rule_id: str
    dry_run_hits: int = Field(description="Hits of the dry run with the proposed values.")
    current_hits: int | None = Field(default=None, description="Hits of the dry run with today's values.")
    events_in_range: int | None = None
    false_positive_rate: float | None = Field(
        default=None, description="From case outcomes (rule_outcome_stats), when case tools exist."
    )


class Proposal(BaseModel):
    kind: Literal["tune", "allow_list", "promote", "demote"]
    rule_id: str
    tool: str = Field(description="The write tool that carries it out, e.g. tune_rule_threshold.")
    args: dict[str, Any] = Field(default_factory=dict)
    readiness: Readiness | None = None


class FoxReport(BaseModel):
    summary: str = Field(description="What you found and did, for the person at the terminal.")
    case_id: str | None = None
    proposal: Proposal | None = None


fox: Agent[FoxDeps, FoxReport | DeferredToolRequests] = Agent(
    name="fox",
    deps_type=FoxDeps,
    output_type=[FoxReport, DeferredToolRequests],
    instructions=prompts.text("fox.md"),
    retries=2,
    defer_model_check=True,
)


@fox.instructions
def _who(ctx: RunContext[FoxDeps]) -> str:
    case = f" Work case {ctx.deps.case_id}." if ctx.deps.case_id else ""
    return f"The person at the terminal is {ctx.deps.operator}, of merchant {ctx.deps.merchant_id}.{case}"


def toolsets(servers: Sequence[ServerToolset]) -> list[AbstractToolset[Any]]:
    return [access.approval_for_writes(s.toolset) for s in servers]


@dataclass(frozen=True)
class WriteCall:
    tool: str
    args: dict[str, Any]
    tool_call_id: str


@dataclass
class FoxOutcome:
    report: FoxReport | None  # None when the work stopped at MAX_ROUNDS
    executed: list[WriteCall] = field(default_factory=list)
    denied: list[WriteCall] = field(default_factory=list)
    messages: list[ModelMessage] = field(default_factory=list)


# The person's verdict on one pending write: True runs it, False or a message denies it.
Approve = Callable[[WriteCall], bool | str]


def _verdict(approve: Approve, call: WriteCall) -> bool | ToolDenied:
    answer = approve(call)
    if answer is True:
        return True
    return ToolDenied(answer if isinstance(answer, str) else f"{call.tool} was denied by the operator.")


def _executed(messages: Sequence[ModelMessage], approved: dict[str, WriteCall]) -> list[WriteCall]:
    ran = {
        part.tool_call_id
        for message in messages
        if isinstance(message, ModelRequest)
        for part in message.parts
        if isinstance(part, ToolReturnPart) and part.outcome == "success"
    }
    return [call for call_id, call in approved.items() if call_id in ran]


async def work(
    prompt: str,
    deps: FoxDeps,
    servers: Sequence[ServerToolset],
    *,
    model: Model,
    approve: Approve,
    history: Sequence[ModelMessage] | None = None,
) -> FoxOutcome:
    approved: dict[str, WriteCall] = {}
    denied: list[WriteCall] = []
    messages = list(history) if history else None
    results: DeferredToolResults | None = None
    user_prompt: str | None = prompt
    for _ in range(MAX_ROUNDS):
        run = await fox.run(
            user_prompt,
            deps=deps,
            model=model,
            toolsets=toolsets(servers),
            message_history=messages,
            deferred_tool_results=results,
        )
        messages, user_prompt = run.all_messages(), None
        if not isinstance(run.output, DeferredToolRequests):
            return FoxOutcome(run.output, _executed(messages, approved), denied, messages)
        verdicts: dict[str, bool | ToolDenied] = {}
        for part in run.output.approvals:
            call = _write(part)
            verdicts[part.tool_call_id] = verdict = _verdict(approve, call)
            if verdict is True:
                approved[part.tool_call_id] = call
            else:
                denied.append(call)
        results = DeferredToolResults(approvals=verdicts)
    return FoxOutcome(None, _executed(messages or [], approved), denied, messages or [])


def _write(part: ToolCallPart) -> WriteCall:
    return WriteCall(part.tool_name, part.args_as_dict(), part.tool_call_id)
