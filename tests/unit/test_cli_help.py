"""Help texts claim only commands that exist: every ``canary …`` a help text, option help or
docstring mentions resolves to a real command (a group must be followed by one of its commands)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from typer.main import get_command

from core.cli.main import app

MENTION = re.compile(r"`?canary((?: [a-z][a-z0-9-]*)+)")
# Typer vendors its own click, so commands are told apart by shape: a group has ``commands``.
Command = Any


def _walk(command: Command, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Command]]:
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _walk(sub, (*path, name))


def _texts(command: Command) -> list[str]:
    texts = [command.help or "", command.short_help or "", command.epilog or ""]
    return texts + [getattr(p, "help", None) or "" for p in command.params]


def _resolves(root: Command, words: list[str]) -> bool:
    command = root
    for word in words:
        subcommands = getattr(command, "commands", None)
        if subcommands is None:
            return True  # a leaf command: what follows is its arguments or prose
        if word not in subcommands:
            return False
        command = subcommands[word]
    return True


def test_every_command_a_help_text_mentions_exists() -> None:
    root = get_command(app)
    wrong = []
    for path, command in _walk(root):
        for text in _texts(command):
            for mention in MENTION.finditer(text):
                words = mention.group(1).split()
                if not _resolves(root, words):
                    wrong.append(f"{' '.join(('canary', *path))}: mentions `canary {' '.join(words)}`")
    assert not wrong, "\n".join(wrong)


def test_a_mention_of_a_missing_command_is_caught() -> None:
    root = get_command(app)
    assert not _resolves(root, ["merchant", "delete"])
    assert not _resolves(root, ["db", "check"])
    assert _resolves(root, ["merchant", "add", "m_1"])


GUIDES = ("README.md", "docs/quickstart.md", "docs/troubleshooting.md", "docs/reading-a-detection.md")
ROOT = Path(__file__).parents[2]


def test_every_command_the_guides_mention_exists() -> None:
    root = get_command(app)
    wrong = []
    for guide in GUIDES:
        for mention in MENTION.finditer((ROOT / guide).read_text()):
            words = [w for w in mention.group(1).split() if not w.startswith("-")]
            if not _resolves(root, words):
                wrong.append(f"{guide}: mentions `canary {' '.join(words)}`")
    assert not wrong, "\n".join(wrong)


ENV_NAME = re.compile(r"CANARY_[A-Z0-9_]*[A-Z0-9]")
CUT_CELL = re.compile(r"\S… *│$")  # rich crops a word too long for its cell to "…" at the border


def _env_names(command: Command) -> set[str]:
    named = " ".join(_texts(command))
    for param in command.params:
        envvar = getattr(param, "envvar", None) or ()
        named += " " + " ".join([envvar] if isinstance(envvar, str) else envvar)
    return set(ENV_NAME.findall(named))


def _help_at_80(path: tuple[str, ...]) -> str:
    from typer.testing import CliRunner

    result = CliRunner().invoke(
        app, [*path, "--help"], env={"COLUMNS": "80", "TERM": "dumb"}, terminal_width=80
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_every_help_text_fits_80_columns_with_every_environment_variable_whole() -> None:
    wrong = []
    for path, command in _walk(get_command(app)):
        text = _help_at_80(path)
        name = " ".join(("canary", *path))
        wrong += [f"{name}: {env} is cut" for env in sorted(_env_names(command)) if env not in text]
        wrong += [f"{name}: cut cell {line.strip()!r}" for line in text.splitlines() if CUT_CELL.search(line)]
        wrong += [f"{name}: {len(line)} columns" for line in text.splitlines() if len(line) > 80]
    assert not wrong, "\n".join(wrong)


def test_a_cut_environment_variable_would_be_caught() -> None:
    assert "CANARY_SQUARE_SIGNATURE_KEY" in _env_names(get_command(app).commands["merchant"].commands["add"])
    assert CUT_CELL.search("│     CANARY_SQUARE_SIGNATURE_KE… │")
    assert not CUT_CELL.search("│     (CANARY_MERCHANT_ID, …)     │")
