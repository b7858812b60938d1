"""``canary simulate`` through its command line."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from core.cli.simulate import register


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """A stand-in for canary's root command."""

    register(app)
    return app


def test_canary_simulate_writes_a_world_and_reports_what_it_wrote(tmp_path: Path) -> None:
    out = tmp_path / "world"
    result = CliRunner().invoke(
        _app(),
        [
            "simulate",
            "--out",
            str(out),
            "--seed",
            "3",
            "--stores",
            "2",
            "--days",
            "3",
            "--vertical",
            "retail",
            "--start",
            "2026-11-20",
        ],
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 3
    assert manifest["vertical"] == "retail"
    assert manifest["start"] == "2026-11-20"
    assert (out / "square/webhooks.jsonl").stat().st_size > 0
    assert "labels" in result.output


def test_canary_simulate_explains_bad_arguments_and_an_occupied_directory(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(_app(), ["simulate", "--out", str(tmp_path / "a"), "--vertical", "bakery"])
    assert bad.exit_code == 2
    assert "vertical" in bad.output
    bad_date = runner.invoke(_app(), ["simulate", "--out", str(tmp_path / "b"), "--start", "March"])
    assert bad_date.exit_code == 2
    assert "YYYY-MM-DD" in bad_date.output
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "mine.txt").write_text("x")
    occupied = runner.invoke(_app(), ["simulate", "--out", str(tmp_path / "c"), "--days", "1"])
    assert occupied.exit_code == 2
    assert "--force" in occupied.output
