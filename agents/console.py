"""What ``canary owl`` and ``canary fox`` print: each tool call as it happens, the answer as it is
written, the figures and where they came from, and the y/n question for each write.

The answer streams out of the output tool's arguments (Owl's answer is structured, so the model
writes it as JSON): the partial JSON is parsed as it grows and the new end of ``answer`` printed.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from pydantic_ai.messages import (
    FunctionToolCallEvent,
    FunctionToolResultEvent,
    PartDeltaEvent,
    PartStartEvent,
    ToolCallPart,
    ToolCallPartDelta,
)
from pydantic_core import from_json
from rich.console import Console
from rich.markup import escape
from rich.prompt import Confirm
from rich.table import Table

from agents.fox import WriteCall
from agents.trace import OUTPUT_TOOL, OwlAnswer

MAX_ARGS = 160


def _short(value: Any, limit: int = MAX_ARGS) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Stream:
    """Prints a run's events to the console as they arrive."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._args: dict[int, str] = {}
        self._written = 0

    def __call__(self, event: Any) -> None:
        if isinstance(event, FunctionToolCallEvent):
            self._line(
                f"[cyan]→ {escape(event.part.tool_name)}[/cyan]({escape(_short(event.part.args or {}))})"
            )
        elif isinstance(event, FunctionToolResultEvent):
            ok = event.part.outcome == "success"
            mark = "[green]←[/green]" if ok else "[red]✗[/red]"
            self._line(
                f"{mark} {escape(event.part.tool_name)}: [dim]{escape(_short(event.part.content, 100))}[/dim]"
            )
        elif isinstance(event, PartStartEvent) and isinstance(event.part, ToolCallPart):
            if event.part.tool_name.startswith(OUTPUT_TOOL):
                if self._written:
                    self._line(
                        "[yellow](the answer was sent back: a figure did not trace to a tool)[/yellow]"
                    )
                self._args[event.index] = event.part.args if isinstance(event.part.args, str) else ""
                self._written = 0
                self._answer(event.index)
        elif (
            isinstance(event, PartDeltaEvent)
            and isinstance(event.delta, ToolCallPartDelta)
            and event.index in self._args
            and isinstance(event.delta.args_delta, str)
        ):
            self._args[event.index] += event.delta.args_delta
            self._answer(event.index)

    def _line(self, markup: str) -> None:
        if self._written:
            self.console.print()
            self._written = 0
        self.console.print(markup, highlight=False, soft_wrap=True)

    def _answer(self, index: int) -> None:
        try:
            partial = from_json(self._args[index] or "{}", allow_partial="trailing-strings")
        except ValueError:
            return
        text = partial.get("answer") if isinstance(partial, dict) else None
        if isinstance(text, str) and len(text) > self._written:
            self.console.print(escape(text[self._written :]), end="", highlight=False, soft_wrap=True)
            self._written = len(text)

    def done(self, answer: OwlAnswer) -> None:
        if self._written < len(answer.answer):
            self.console.print(escape(answer.answer[self._written :]), end="", highlight=False)
        self.console.print()
        self._written = 0
        self._args.clear()
        if answer.figures:
            table = Table("figure", "value", "from", box=None, header_style="dim")
            for f in answer.figures:
                table.add_row(escape(f.label), f"{f.value:g}", escape(f"{f.tool}({_short(f.args, 80)})"))
            self.console.print(table)


def approver(console: Console, *, interactive: bool | None = None) -> Callable[[WriteCall], bool | str]:
    """y/n per write in a terminal; without one every write is refused (nobody can say yes)."""
    tty = sys.stdin.isatty() if interactive is None else interactive

    def ask(call: WriteCall) -> bool | str:
        console.print(f"[bold]{escape(call.tool)}[/bold] {escape(_short(call.args, 400))}", highlight=False)
        if not tty:
            console.print("[red]refused: no terminal to ask for approval[/red]")
            return "Refused: there is no terminal to ask the operator, so no write can be approved."
        if Confirm.ask("run this write?", console=console, default=False):
            return True
        return f"The operator said no to {call.tool}."

    return ask
