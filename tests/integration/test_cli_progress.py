"""Progress on long work: ``simulate``, ``backfill`` and ``rebuild`` show a rich progress display on
stderr when it is a terminal (FORCE_COLOR stands in for one here), and nothing extra when it is a
pipe, so scripts and tests read exactly the command's output. ``canary serve`` says where it
listens and what it serves (issue 19)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from core.bootstrap import bootstrap
from core.cli.run import banner
from core.tenancy import onboard_merchant
from core.web.app import create_app
from tests.support.pipeline import TEST_MASTER_KEY, TEST_SIGNING_KEY, settings_for

KNOWN = "m_progress"
ROOT = Path(__file__).parents[2]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("progress")
    container = bootstrap(settings_for(f"sqlite:///{tmp / 'canary.db'}", tmp, redis=False))
    try:
        onboard_merchant(container.db, container.keyring, merchant_id=KNOWN, name="Progress Garden")
    finally:
        container.close()
    (tmp / "empty.jsonl").write_text("")
    plain = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CANARY_") and k not in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")
    }
    env = {
        **plain,
        "PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT)),
        "COLUMNS": "80",
        "CANARY_DATABASE_URL": f"sqlite:///{tmp / 'canary.db'}",
        "CANARY_VAR_DIR": str(tmp),
        "CANARY_MASTER_KEY": TEST_MASTER_KEY,
        "CANARY_LEDGER_SIGNING_KEY": TEST_SIGNING_KEY,
    }
    return {"tmp": tmp, "env": env}


def _run(deployment: dict[str, Any], *args: str, terminal: bool) -> subprocess.CompletedProcess[str]:
    env = {**deployment["env"], **({"FORCE_COLOR": "1"} if terminal else {})}
    return subprocess.run(
        [sys.executable, "-m", "core.cli", *args],
        cwd=deployment["tmp"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["backfill", "square", "--merchant", KNOWN, "--file", "{tmp}/empty.jsonl"], "stages: seal → parse"),
        (["rebuild", "customers", "--merchant", KNOWN], "rebuilding customers of"),
        (["rebuild", "fox", "--merchant", KNOWN], "rebuilding cases of"),
        (["rebuild", "bubble", "--merchant", KNOWN], "rebuilding device-hours of"),
        (["simulate", "--out", "{tmp}/world-{mode}", "--days", "1", "--stores", "1"], "simulating"),
    ],
    ids=["backfill", "rebuild customers", "rebuild fox", "rebuild bubble", "simulate"],
)
def test_progress_goes_to_a_terminal_and_never_into_a_pipe(
    deployment: dict[str, Any], args: list[str], shown: str
) -> None:
    results = {}
    for mode, terminal in (("tty", True), ("pipe", False)):
        filled = [a.format(tmp=deployment["tmp"], mode=mode) for a in args]
        results[mode] = _run(deployment, *filled, terminal=terminal)
        assert results[mode].returncode == 0, results[mode].stderr[-2000:]
    tty, pipe = results["tty"], results["pipe"]
    assert shown in ANSI.sub("", tty.stderr)
    assert shown not in pipe.stderr
    assert "\x1b" not in pipe.stderr
    assert ANSI.sub("", tty.stdout).split() == pipe.stdout.split()  # the output itself is the same


def test_backfill_still_says_what_it_accepted_under_the_progress(deployment: dict[str, Any]) -> None:
    tty = _run(deployment, "backfill", "square", "--merchant", KNOWN, "--file", "empty.jsonl", terminal=True)
    assert tty.returncode == 0, tty.stderr
    assert "accepted 0, duplicates 0" in ANSI.sub("", tty.stdout)
    assert "events → inbox" in ANSI.sub("", tty.stderr)


def test_serve_says_where_it_listens_and_what_it_serves(deployment: dict[str, Any]) -> None:
    tmp = deployment["tmp"]
    container = bootstrap(settings_for(f"sqlite:///{tmp / 'canary.db'}", tmp, redis=False))
    try:
        lines = banner(create_app(container), "0.0.0.0", 8000, inline=True, embedded=True)  # noqa: S104
        remote = banner(create_app(container), "10.0.0.5", 9000, inline=False, embedded=False)
    finally:
        container.close()
    text = "\n".join(lines)
    assert lines[0].startswith("Listening on http://127.0.0.1:8000 (all interfaces)")
    assert "http://127.0.0.1:8000/webhooks/square" in text
    assert "http://127.0.0.1:8000/ingest/<source>" in text
    assert "http://127.0.0.1:8000/mcp/<name>, for <name> in:" in text
    assert "            identity, chirp, tsp-ops, fox" in text
    assert "http://127.0.0.1:8000/healthz, /metrics" in text
    assert "http://127.0.0.1:8000/console/" in text
    assert "canary token create" in text
    assert "run in this process" in text
    assert all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]
    assert remote[0] == "Listening on http://10.0.0.5:9000"
    assert "`canary worker` processes" in "\n".join(remote)
