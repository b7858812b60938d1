"""A merchant id this deployment never onboarded is refused the same way everywhere: every command
that takes ``--merchant`` and every stdio MCP server answer ``no merchant 'nope': onboard it first
(canary merchant add)`` with exit code 2, before doing anything (issue 19)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from core.bootstrap import bootstrap
from core.cli.main import app
from core.tenancy import onboard_merchant
from servers.registry import SERVERS
from tests.support.pipeline import TEST_MASTER_KEY, TEST_SIGNING_KEY, settings_for

REFUSAL = "no merchant 'nope': onboard it first (canary merchant add)"
KNOWN = "m_known"

# Every command that takes --merchant, with the other arguments it needs to get that far.
COMMANDS: dict[str, list[str]] = {
    "backfill square": ["backfill", "square", "--merchant", "nope", "--file", "{file}"],
    "backfill counterpoint": ["backfill", "counterpoint", "--merchant", "nope", "--dir", "{dir}"],
    "verify": ["verify", "--merchant", "nope"],
    "replay": ["replay", "--merchant", "nope", "--event", "1"],
    "proof export": ["proof", "export", "--merchant", "nope", "--event", "1"],
    "rebuild customers": ["rebuild", "customers", "--merchant", "nope"],
    "rebuild bubble": ["rebuild", "bubble", "--merchant", "nope"],
    "bubble run": ["bubble", "run", "--merchant", "nope"],
    "bubble plot": [
        "bubble",
        "plot",
        "--merchant",
        "nope",
        "--device",
        "sq:device:D1",
        "--week",
        "2026-W11",
        "--out",
        "{dir}/p.png",
    ],
    "rebuild fox": ["rebuild", "fox", "--merchant", "nope"],
    "forget-customer": ["forget-customer", "c_1", "--merchant", "nope", "--reason", "test", "--yes"],
    "rules status": ["rules", "status", "--merchant", "nope"],
    "rules pin": ["rules", "pin", "1.0.0", "--merchant", "nope", "--reason", "season freeze"],
    "rules promote": [
        "rules",
        "promote",
        "Q-VR-03",
        "observation",
        "--merchant",
        "nope",
        "--reason",
        "go live",
    ],
    "token create": ["token", "create", "--merchant", "nope", "--role", "analyst"],
    "token list": ["token", "list", "--merchant", "nope"],
    "token revoke": ["token", "revoke", "abc", "--merchant", "nope"],
    "detections list": ["detections", "list", "--merchant", "nope"],
    "digest": ["digest", "--merchant", "nope"],
    "notify add": ["notify", "add", "--merchant", "nope", "--email", "lp@example.com"],
    "notify list": ["notify", "list", "--merchant", "nope"],
    "notify log": ["notify", "log", "--merchant", "nope"],
    "notify digest": ["notify", "digest", "--merchant", "nope", "--to", "gm@example.com"],
    "notify disable": ["notify", "disable", "nt_1", "--merchant", "nope"],
    "notify enable": ["notify", "enable", "nt_1", "--merchant", "nope"],
    "escalation set": [
        "escalation",
        "set",
        "--merchant",
        "nope",
        "--name",
        "x",
        "--min-count",
        "2",
        "--within-days",
        "1",
        "--to",
        "high",
    ],
    "escalation list": ["escalation", "list", "--merchant", "nope"],
    "detections show": ["detections", "show", "d1", "--merchant", "nope"],
    "ingest failures": ["ingest", "failures", "--merchant", "nope"],
    "owl": ["owl", "what happened?", "--merchant", "nope"],
    "fox": ["fox", "--case", "c_1", "--merchant", "nope"],
}


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A SQLite deployment with one merchant, and the environment a command runs with."""
    tmp = tmp_path_factory.mktemp("unknown_merchant")
    settings = settings_for(f"sqlite:///{tmp / 'canary.db'}", tmp, redis=False)
    container = bootstrap(settings)
    try:
        onboard_merchant(container.db, container.keyring, merchant_id=KNOWN, name="Known Garden")
    finally:
        container.close()
    (tmp / "empty.jsonl").write_text("")
    (tmp / "cp").mkdir()
    return {
        "tmp": tmp,
        "env": {
            "CANARY_DATABASE_URL": f"sqlite:///{tmp / 'canary.db'}",
            "CANARY_VAR_DIR": str(tmp),
            "CANARY_MASTER_KEY": TEST_MASTER_KEY,
            "CANARY_LEDGER_SIGNING_KEY": TEST_SIGNING_KEY,
            "CANARY_WORKER_BLOCK_MS": "0",
            "CANARY_MERCHANT_ID": "",
            "CANARY_AGENT_MODEL": "",
        },
    }


def _args(deployment: dict[str, Any], name: str) -> list[str]:
    tmp: Path = deployment["tmp"]
    return [a.format(file=tmp / "empty.jsonl", dir=tmp / "cp") for a in COMMANDS[name]]


def _commands_with_a_merchant_option() -> set[str]:
    found = set()

    def walk(command: Any, path: tuple[str, ...]) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, (*path, name))
        if any("--merchant" in getattr(p, "opts", ()) for p in command.params):
            found.add(" ".join(path))

    walk(get_command(app), ())
    return found


def test_every_command_with_a_merchant_option_is_checked_here() -> None:
    assert _commands_with_a_merchant_option() == set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_command_refuses_a_merchant_never_onboarded(deployment: dict[str, Any], name: str) -> None:
    result = CliRunner().invoke(app, _args(deployment, name), env=deployment["env"])
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines() == [f"error: {REFUSAL}"]


def test_the_refusal_names_the_merchant_and_lets_a_known_one_through(deployment: dict[str, Any]) -> None:
    runner = CliRunner()
    known = runner.invoke(app, ["verify", "--merchant", KNOWN], env=deployment["env"])
    other = runner.invoke(app, ["verify", "--merchant", "m_other"], env=deployment["env"])
    assert known.exit_code == 0, known.output
    assert "1 merchant ledger(s) verified" in known.output
    assert "no merchant 'm_other': onboard it first" in other.output


def test_owl_refuses_an_unknown_merchant_from_the_environment(deployment: dict[str, Any]) -> None:
    env = {**deployment["env"], "CANARY_MERCHANT_ID": "nope"}
    result = CliRunner().invoke(app, ["owl", "what happened?"], env=env)
    assert result.exit_code == 2
    assert result.output.strip() == f"error: {REFUSAL}"


@pytest.mark.parametrize("server", sorted(SERVERS))
def test_a_stdio_server_refuses_to_start_for_an_unknown_merchant(
    deployment: dict[str, Any], server: str
) -> None:
    env = {**deployment["env"], "CANARY_MERCHANT_ID": "nope"}
    result = CliRunner().invoke(app, ["mcp", server], env=env)
    assert result.exit_code == 2
    assert [line for line in result.output.splitlines() if line.strip()] == [
        f"error: CANARY_MERCHANT_ID: {REFUSAL}"
    ]
