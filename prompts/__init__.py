"""The agents' instructions (owl.md, fox.md) and the servers' MCP prompt templates (mcp/<server>/),
kept as text files beside this module so they ship with the package."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent


def text(name: str) -> str:
    """The text of ``prompts/<name>``, e.g. ``text("owl.md")``."""
    return (HERE / name).read_text(encoding="utf-8")
