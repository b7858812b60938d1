"""`canary demo` (what `make demo` runs) end to end, as a user runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).parents[2]


def test_the_demo_runs_every_stage_verifies_the_ledger_and_exits_zero(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "core.cli", "demo", "--var-dir", str(tmp_path / "demo")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "verified" in result.stdout
    assert "failed" not in result.stdout.split("parse outcomes", 1)[1].splitlines()[0]
    assert (tmp_path / "demo" / "canary.db").exists()
    assert not (tmp_path / "var").exists()  # the demo writes only where it was told
