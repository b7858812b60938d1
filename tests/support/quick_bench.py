"""One `canary bench --quick` run for the whole session.

The quick bench replays the detection world, asks the agents' evaluation set and times the
identity tools; the tests of those scenarios read their part of this one report rather than running
each scenario again (the suite would pay for each twice)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
import typer
from typer.testing import CliRunner

from core.cli.bench import register
from tests.support import postgres_service as pg
from tests.support.redis_service import redis_url

# The marks of a test that reads the report: it needs the services and may be the one that runs it.
F = TypeVar("F", bound=Callable[..., Any])
MARKS = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(600)]


def reads_the_report(test: F) -> F:
    """A test in a module of its own marks that reads the report: it gets MARKS."""
    for mark in MARKS:
        test = mark(test)
    return test


def run(out: Path) -> tuple[dict[str, Any], str]:
    """The JSON report and the Markdown report of `canary bench --quick`, run through the CLI."""
    pg.require_postgres()
    redis = redis_url()
    app = typer.Typer()
    register(app)
    app.callback()(lambda: None)  # a group, so the command is invoked by name as under `canary`
    # The suite never calls a real model: the agents scenario answers with the scripted player.
    result = CliRunner(env={"CANARY_AGENT_MODEL": None}).invoke(
        app,
        [
            "bench",
            "--quick",
            "--json",
            str(out / "report.json"),
            "--markdown",
            str(out / "report.md"),
            "--postgres-url",
            pg.ADMIN_URL,
            "--redis-url",
            redis,
        ],
    )
    assert result.exit_code == 0, result.output
    return json.loads((out / "report.json").read_text()), (out / "report.md").read_text()


def scenario(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in report["scenarios"] if s["name"] == name)
