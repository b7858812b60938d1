"""``canary owl`` and ``canary fox``: the agents from a terminal (registered by core/cli/agents.py).

The servers are started over stdio from mcp.json for the caller's merchant (``--merchant`` or
``CANARY_MERCHANT_ID``), or reached over HTTP with ``--url`` and a bearer token (``CANARY_TOKEN``),
in which case the token decides the merchant and what may be called.
"""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from contextlib import AsyncExitStack
from typing import Any

from pydantic_ai.messages import ModelMessage
from rich.console import Console
from rich.prompt import Prompt

from agents import servers
from agents.console import Stream, approver
from agents.fox import FoxDeps, work
from agents.model import from_environment
from agents.owl import OwlDeps, ask


class AgentUsageError(ValueError):
    """Options that cannot work together; the message says what to set."""


def connect(
    merchant: str | None, url: str | None, token: str | None, *, read_only: bool, actor: str | None = None
) -> tuple[str, list[servers.ServerToolset]]:
    if url:
        if not token:
            raise AgentUsageError("--url needs a bearer token: pass --token or set CANARY_TOKEN")
        return merchant or "(the token's merchant)", servers.http(url, token)
    if not merchant:
        raise AgentUsageError(
            "no merchant: pass --merchant or set CANARY_MERCHANT_ID (or use --url with a token)"
        )
    return merchant, servers.stdio(merchant, read_only=read_only, actor=actor)


async def _entered(stack: AsyncExitStack, found: Sequence[servers.ServerToolset]) -> None:
    # Entered once for the whole session, so stdio servers start once, not per question.
    for s in found:
        await stack.enter_async_context(s.toolset)


async def owl(
    question: str | None,
    *,
    chat: bool,
    merchant: str,
    found: list[servers.ServerToolset],
    role: str,
    console: Console,
) -> None:
    model = from_environment()
    deps = OwlDeps(merchant, role=role)
    history: list[ModelMessage] = []
    async with AsyncExitStack() as stack:
        await _entered(stack, found)
        pending = question
        while True:
            if pending is None:
                if not chat:
                    return
                pending = Prompt.ask("[bold]owl[/bold]", console=console, default="").strip()
                if pending in ("", "exit", "quit"):
                    return
            stream = Stream(console)
            result = await ask(pending, deps, found, model=model, history=history, on_event=stream)
            stream.done(result.output)
            history = result.all_messages()
            pending = None
            if not chat:
                return


async def fox(
    case_id: str | None,
    prompt: str | None,
    *,
    merchant: str,
    operator: str,
    found: list[servers.ServerToolset],
    console: Console,
    interactive: bool | None = None,
) -> Any:
    model = from_environment()
    text = prompt or (
        f"Work case {case_id}: read it, investigate, and propose what to do." if case_id else None
    )
    if text is None:
        raise AgentUsageError("say what to work on: --case ID, or --prompt 'tune Q-VR-03 …'")
    async with AsyncExitStack() as stack:
        await _entered(stack, found)
        outcome = await work(
            text,
            FoxDeps(merchant, operator=operator, case_id=case_id),
            found,
            model=model,
            approve=approver(console, interactive=interactive),
        )
    if outcome.report is not None:
        console.print(outcome.report.summary, highlight=False)
    console.print(
        f"[dim]writes run: {len(outcome.executed)}, refused: {len(outcome.denied)}[/dim]", highlight=False
    )
    return outcome


def operator_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "operator"
