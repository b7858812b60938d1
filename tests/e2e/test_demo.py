"""`canary demo` (what `make demo` runs) end to end: a smaller simulated world through the same
function the command runs, and the command itself as a user runs it."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from core.demo.run import DemoWorld, run_demo
from core.demo.summary import DemoSummary

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ROOT = Path(__file__).parents[2]
SMALL = DemoWorld(seed=7, stores=2, days=7)


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory) -> DemoSummary:
    console = Console(file=io.StringIO(), width=120)
    return run_demo(SMALL, tmp_path_factory.mktemp("demo") / "var", console)


def test_every_way_in_is_sealed_and_the_ledger_verifies(summary: DemoSummary) -> None:
    assert summary.verified, summary.problems[:3]
    assert summary.checkpoints > 0
    assert set(summary.sealed) == {"SQUARE WEBHOOK", "SQUARE POLLING", "COUNTERPOINT BATCH"}
    assert all(n > 0 for n in summary.sealed.values())
    assert summary.answers.keys() == {200}  # every signed delivery was accepted by the ingress
    assert summary.ok


def test_everything_sealed_parses_and_lands_in_the_projections(summary: DemoSummary) -> None:
    assert summary.ingestion.get("failed", 0) == 0
    assert summary.ingestion["parsed"] > 0.9 * sum(summary.sealed.values())
    assert {"SALE", "REFUND", "VOID"} <= summary.transactions.keys()
    assert summary.drawer_shifts > 0
    assert summary.customers > 0


def test_rules_write_detections_that_match_the_injected_scenarios(summary: DemoSummary) -> None:
    matched = {rule for rule, line in summary.rules.items() if line.matched}
    assert len(matched) >= 8, summary.rules
    assert {"Q-DS-01", "C-005"} & matched, "no Square-only rule matched its scenario"
    assert {"Q-VR-01", "Q-TM-02", "Q-TC-02"} & matched, "no Counterpoint rule matched its scenario"
    assert summary.quiet, "no hard negative stayed quiet"


def test_the_command_prints_the_summary_and_exits_zero(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "core.cli", "demo", "--days", "3", "--var-dir", str(tmp_path / "demo")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:] + result.stdout[-3000:]
    assert "verified" in result.stdout
    assert "Detections" in result.stdout
    assert (tmp_path / "demo" / "canary.db").exists()
    assert not (tmp_path / "var").exists()  # the demo writes only where it was told
