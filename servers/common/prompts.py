"""MCP prompt templates: each server offers its workflows ("investigate a case", "tune a rule",
"what should I pay attention to today?") as prompts, so MCP clients other than Canary's agents
(Claude Desktop and the like) get the same playbooks.

The templates are text files in ``prompts/mcp/<server>/<prompt>.md`` (``<server>`` is the registry
name: ``canary-chirp`` → ``chirp``); a server registers every file in its folder, so adding a
workflow is adding a file. A file is a small header, a line ``---``, and the body:

    # Tune a rule                                   ← the title
    Size a rule change with a dry run, then ask.    ← the description
    argument rule_id (required): The rule, e.g. Q-VR-03.
    argument problem: What is wrong with it today.
    ---
    Body, with $rule_id and $problem where the arguments go.

Arguments are filled with ``string.Template`` (``$name``), so JSON braces in a body need no escaping;
an optional argument left out becomes "(not given)". Argument values are cleaned like any untrusted
text (``servers.common.sanitise``) before they are placed in the prompt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

from fastmcp import FastMCP
from fastmcp.exceptions import PromptError
from fastmcp.prompts.base import Prompt, PromptArgument

import prompts
from servers.common.sanitise import clean

FOLDER = prompts.HERE / "mcp"
_ARGUMENT = re.compile(r"^argument (\w+)( \(required\))?: (.+)$")


@dataclass(frozen=True)
class PromptFile:
    name: str
    title: str
    description: str
    arguments: list[PromptArgument]
    body: str


def parse(path: Path) -> PromptFile:
    head, sep, body = path.read_text(encoding="utf-8").partition("\n---\n")
    lines = [line.strip() for line in head.splitlines() if line.strip()]
    if not sep or len(lines) < 2 or not lines[0].startswith("# "):
        raise ValueError(f"{path.name}: expected '# title', a description, argument lines, then '---'")
    arguments = []
    for line in lines[2:]:
        match = _ARGUMENT.match(line)
        if match is None:
            raise ValueError(f"{path.name}: not an argument line: {line!r}")
        arguments.append(PromptArgument(name=match[1], required=bool(match[2]), description=match[3]))
    return PromptFile(path.stem, lines[0][2:], lines[1], arguments, body.strip() + "\n")


class TemplatePrompt(Prompt):
    """A prompt rendered from a template file's body."""

    body: str

    async def render(self, arguments: dict[str, Any] | None = None) -> str:
        given = {k: clean(str(v)) for k, v in (arguments or {}).items() if v not in (None, "")}
        missing = [a.name for a in self.arguments or [] if a.required and a.name not in given]
        if missing:
            raise PromptError(f"prompt {self.name} needs: {', '.join(missing)}")
        values = {a.name: given.get(a.name, "(not given)") for a in self.arguments or []}
        return Template(self.body).safe_substitute(values)


def templates(server_name: str) -> list[PromptFile]:
    folder = FOLDER / server_name.removeprefix("canary-")
    return [parse(path) for path in sorted(folder.glob("*.md"))] if folder.is_dir() else []


def register_prompts(mcp: FastMCP, server_name: str) -> None:
    for t in templates(server_name):
        mcp.add_prompt(
            TemplatePrompt(
                name=t.name, title=t.title, description=t.description, arguments=t.arguments, body=t.body
            )
        )
