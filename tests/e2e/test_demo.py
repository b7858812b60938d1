"""`canary demo` (what `make demo` runs) end to end: a smaller simulated world through the same
function the command runs, and the command itself as a user runs it."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import pytest
from fastmcp import Client
from fastmcp.client.transports import StdioTransport
from pydantic import SecretStr
from rich.console import Console
from starlette.testclient import TestClient

from core.bootstrap import bootstrap
from core.cases.domain.model import Alert, Severity
from core.cli.demo import next_steps
from core.demo.run import DemoWorld, run_demo
from core.demo.summary import DemoSummary
from core.settings import EMBEDDED_DATABASE_URL, Settings
from core.web.app import create_app

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


def _canary(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # No CANARY_* settings: what a user who just ran the demo has.
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANARY_")}
    return subprocess.run(
        [sys.executable, "-m", "core.cli", *args],
        cwd=cwd,
        env={**env, "COLUMNS": "100"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def command(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """`canary demo` as a user runs it, from a fresh directory with nothing set."""
    here = tmp_path_factory.mktemp("user")
    return here, _canary("demo", "--days", "3", cwd=here)


def test_the_command_prints_the_summary_and_what_to_try_next(
    command: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    here, result = command
    assert result.returncode == 0, result.stderr[-3000:] + result.stdout[-3000:]
    assert "verified" in result.stdout
    assert "Detections" in result.stdout
    assert "What to try next" in result.stdout
    assert "where every command looks by default" in result.stdout
    assert "detections list --merchant sim-7" in result.stdout
    assert "export CANARY_DATABASE_URL" not in result.stdout
    assert "serve`, open http://127.0.0.1:8000/console/ and sign in with this operator token" in result.stdout
    assert re.search(r"^  cnry_[0-9a-f]{16}_\S{43}$", result.stdout, re.MULTILINE)
    assert (here / "var" / "canary.db").exists()


def test_verify_and_detections_list_find_the_demo_with_no_settings(
    command: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    here, _ = command
    verify = _canary("verify", cwd=here)
    listed = _canary("detections", "list", "--json", cwd=here)
    assert verify.returncode == 0, verify.stderr
    assert "sim-7" in verify.stdout
    assert "1 merchant ledger(s) verified" in verify.stdout
    assert listed.returncode == 0, listed.stderr
    found = json.loads(listed.stdout)
    assert found["merchants"] == ["sim-7"]
    assert found["detections"]
    assert {d["merchant_id"] for d in found["detections"]} == {"sim-7"}


def test_the_demo_refuses_to_replace_a_database_it_did_not_write(tmp_path: Path) -> None:
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "canary.db").write_bytes(b"someone's deployment")
    refused = _canary("demo", "--days", "1", cwd=tmp_path)
    assert refused.returncode == 2
    assert "holds a Canary database the demo did not write" in refused.stderr
    assert (tmp_path / "var" / "canary.db").read_bytes() == b"someone's deployment"


def test_elsewhere_the_demo_prints_the_environment_line_to_use(tmp_path: Path) -> None:
    settings = Settings(database_url=SecretStr(EMBEDDED_DATABASE_URL), var_dir=Path("./var"))  # nothing set
    lines = "\n".join(next_steps("sim-7", tmp_path / "demo", settings))
    assert f"export CANARY_DATABASE_URL=sqlite:///{(tmp_path / 'demo').resolve()}/canary.db" in lines
    assert f"CANARY_VAR_DIR={(tmp_path / 'demo').resolve()}" in lines
    at_default = "\n".join(next_steps("sim-7", Path("./var"), settings))
    assert "export" not in at_default
    assert "where every command looks by default" in at_default


def test_the_demos_console_token_opens_the_console_on_the_demo_database(summary: DemoSummary) -> None:
    assert summary.var_dir is not None
    database = f"sqlite:///{summary.var_dir / 'canary.db'}"
    container = bootstrap(Settings(database_url=SecretStr(database), redis_url=None, var_dir=summary.var_dir))
    try:
        with TestClient(create_app(container)) as client:
            form = client.get("/console/sign-in").text
            csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
            client.post("/console/sign-in", data={"csrf": csrf, "token": summary.console_token})
            listing = client.get("/console/detections")
            # The demo's rules do not alert, so open a case from one of its (sealed) detections as
            # canary:alerts would, then attach that detection from the case page.
            [found] = container.rules.query_detections(summary.merchant_id, limit=1).items
            container.fox.process(
                summary.merchant_id,
                [
                    Alert(
                        detection_id=found.detection_id,
                        rule_id=found.rule_id,
                        family=container.rules.catalog.get(found.rule_id).family.value,
                        severity=Severity(found.severity),
                        queue=found.queue,
                        occurred_at=found.occurred_at,
                        employee_id=found.employee_id or "",
                        location_id=found.location_id or "",
                    )
                ],
            )
            [case] = container.cases.top_cases(summary.merchant_id, queue=None).items
            page = client.get(f"/console/cases/{case.case_id}").text
            csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
            client.post(
                f"/console/cases/{case.case_id}/attach",
                data={"csrf": csrf, "kind": "detection", "ref": found.detection_id},
            )
            worked = client.get(f"/console/cases/{case.case_id}").text
    finally:
        container.close()
    assert "ledger receipt: verified by inclusion proof" in worked
    assert listing.status_code == 200
    assert "operator · " + summary.merchant_id in listing.text
    assert (
        listing.text.count('href="/console/detections/')
        >= sum(1 for line in summary.rules.values() if line.detections)
        > 0
    )


def test_an_mcp_client_started_from_mcp_json_finds_the_demos_detections(
    command: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    """The canary-chirp entry of mcp.json as written, with only CANARY_MERCHANT_ID filled in (the one
    value it leaves empty), started where the demo ran. PATH finds this venv's ``canary`` and
    PYTHONPATH this checkout: plumbing of the test machine, not settings."""
    here, _ = command
    entry = json.loads((ROOT / "mcp.json").read_text())["mcpServers"]["canary-chirp"]
    env = {**entry["env"], "CANARY_MERCHANT_ID": "sim-7"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    env["PYTHONPATH"] = os.environ.get("PYTHONPATH", str(ROOT))
    transport = StdioTransport(entry["command"], entry["args"], env=env, cwd=str(here))

    async def ask() -> Any:
        async with Client(transport) as client:
            return (await client.call_tool("query_detections", {"limit": 5})).structured_content

    page = anyio.run(ask)
    assert page is not None
    assert len(page["items"]) == 5
    assert all(item["rule_id"] for item in page["items"])


def test_the_demos_world_is_dated_relative_to_the_clock(
    summary: DemoSummary, command: tuple[Path, subprocess.CompletedProcess[str]]
) -> None:
    """Right after the demo, its merchant cut over at the world's first day (not today, so not day 0)
    and its customers were seen in the last three weeks (not all lapsed, as a March world read in
    December would be)."""
    here, _ = command
    status = _canary("rules", "status", "--merchant", "sim-7", cwd=here)
    assert status.returncode == 0, status.stderr
    first_day = DemoWorld(days=3).start(datetime.now(UTC).date())
    assert f"since cutover ({first_day:%Y-%m-%d})" in status.stdout
    day = int(re.search(r"day (\d+) since cutover", status.stdout).group(1))  # type: ignore[union-attr]
    assert 3 <= day <= 3 + 7
    assert summary.var_dir is not None
    database = f"sqlite:///{summary.var_dir / 'canary.db'}"
    container = bootstrap(Settings(database_url=SecretStr(database), redis_url=None, var_dir=summary.var_dir))
    try:
        report = container.identity.customer_segments(summary.merchant_id)
    finally:
        container.close()
    counts = {segment.segment: segment.customers for segment in report.segments}
    assert sum(counts.values()) > 0
    assert counts.get("lapsed", 0) == 0, counts
    assert report.attrition.rate != 1.0
