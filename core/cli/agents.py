"""``canary owl "question"`` / ``canary owl --chat`` and ``canary fox --case ID``: the agents
(agents/) from a terminal. The answer is on stdout, tool calls as they happen; errors on stderr."""

from __future__ import annotations

import os

import anyio
import typer
from rich.console import Console

from core.cli.context import known_merchant_in_database
from core.cli.errors import UsageError, friendly

out = Console()

Merchant = typer.Option(None, "--merchant", help="The merchant to act for (default CANARY_MERCHANT_ID).")
Url = typer.Option(None, "--url", help="Reach the servers over HTTP at this base URL instead of stdio.")
Token = typer.Option(None, "--token", help="Bearer token for --url (default CANARY_TOKEN).")


def register(app: typer.Typer) -> None:
    app.command("owl")(owl)
    app.command("fox")(fox)


def _known_here(merchant: str | None, url: str | None) -> None:
    """Over stdio the servers read this deployment's database: refuse a merchant it has never
    onboarded before starting them (over --url the token decides the merchant)."""
    if url or not merchant:
        return
    known_merchant_in_database(merchant)


def _agent_errors() -> tuple[type[Exception], ...]:
    from agents.cli import AgentUsageError
    from agents.model import NoModelError

    return (AgentUsageError, NoModelError)


@friendly
def owl(
    question: str = typer.Argument(None, help="The question, e.g. 'what should I pay attention to today?'"),
    chat: bool = typer.Option(False, "--chat", help="Keep a conversation: ask, answer, ask again."),
    merchant: str = Merchant,
    url: str = Url,
    token: str = Token,
    role: str = typer.Option("analyst", help="Who is asking (gm, analyst, operator, exec, ops)."),
) -> None:
    """Ask Owl (read-only): every figure in the answer comes from a tool call, shown as it happens.

    The model comes from CANARY_AGENT_MODEL (anthropic:…, openai:…, or with CANARY_AGENT_BASE_URL
    an OpenAI-compatible server's model name)."""
    from agents import cli

    if question is None and not chat:
        raise UsageError("ask a question, or pass --chat")
    merchant = merchant or os.environ.get("CANARY_MERCHANT_ID")
    _known_here(merchant, url)
    try:
        chosen, found = cli.connect(
            merchant,
            url,
            token or os.environ.get("CANARY_TOKEN"),
            read_only=True,
        )
        anyio.run(lambda: cli.owl(question, chat=chat, merchant=chosen, found=found, role=role, console=out))
    except _agent_errors() as exc:
        raise UsageError(str(exc)) from None


@friendly
def fox(
    case: str = typer.Option(None, "--case", help="The case to work."),
    prompt: str = typer.Option(
        None, "--prompt", help="What to do instead, e.g. 'tune Q-VR-03: it is noisy'."
    ),
    merchant: str = Merchant,
    url: str = Url,
    token: str = Token,
) -> None:
    """Work a case (or tune a rule) with Fox. Each write is shown and asked y/n in the terminal; with
    no terminal every write is refused. Writes are audit-logged as you (CANARY_ACTOR over stdio)."""
    from agents import cli

    operator = os.environ.get("CANARY_ACTOR") or cli.operator_name()
    merchant = merchant or os.environ.get("CANARY_MERCHANT_ID")
    _known_here(merchant, url)
    try:
        chosen, found = cli.connect(
            merchant,
            url,
            token or os.environ.get("CANARY_TOKEN"),
            read_only=False,
            actor=operator,
        )
        anyio.run(lambda: cli.fox(case, prompt, merchant=chosen, operator=operator, found=found, console=out))
    except _agent_errors() as exc:
        raise UsageError(str(exc)) from None
