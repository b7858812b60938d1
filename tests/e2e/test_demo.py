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
from sqlmodel import select
from starlette.testclient import TestClient

from core.bootstrap import bootstrap
from core.cli.demo import next_steps
from core.clock import FixedClock
from core.db.tables.cases import FoxAlert
from core.db.tables.rules import DetectionRow
from core.demo.run import DemoWorld, run_demo
from core.demo.summary import DemoSummary, cases_table, missed_table, render
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


def _demo_db(summary: DemoSummary) -> Any:
    assert summary.var_dir is not None
    database = f"sqlite:///{summary.var_dir / 'canary.db'}"
    return bootstrap(Settings(database_url=SecretStr(database), redis_url=None, var_dir=summary.var_dir))


def test_the_rules_alert_and_fox_opens_cases_from_the_detections(summary: DemoSummary) -> None:
    """A simulated world → alerts → cases: every alerting detection is in exactly one case (trend
    rules stay in observation, so they open none), and every case's detections exist."""
    assert len(summary.cases) >= 10, summary.cases
    container = _demo_db(summary)
    try:
        with container.db.tenant(summary.merchant_id) as s:
            detections = {d.id: d for d in s.exec(select(DetectionRow)).all()}
            members = s.exec(select(FoxAlert)).all()
        opened = container.fox_service.get_case(summary.merchant_id, summary.cases[0].case_id)
    finally:
        container.close()
    in_cases = [d for line in summary.cases for d in line.detection_ids]
    assert len(in_cases) == len(set(in_cases))  # no detection in two cases
    assert set(in_cases) <= detections.keys()
    alerting = {i for i, d in detections.items() if d.mode == "alerting" and not d.suppressed}
    assert set(in_cases) == alerting
    assert {d.mode for d in detections.values() if d.queue == "trend"} <= {"observation"}
    assert {m.detection_id for m in members if m.case_id} == alerting
    for line in summary.cases:
        assert line.detections >= 1
        assert set(line.rules) == {detections[d].rule_id for d in line.detection_ids}
    assert [d.detection_id for d in opened.detections] == list(summary.cases[0].detection_ids)
    assert opened.case.detections == summary.cases[0].detections


def test_a_void_cluster_in_one_drawer_session_is_one_case(summary: DemoSummary) -> None:
    """Each Q-VR-03 cluster (one detection, revised as its voids arrive) is one case, alone for its
    drawer session in the void/return family, holding only that session's detections."""
    container = _demo_db(summary)
    try:
        with container.db.tenant(summary.merchant_id) as s:
            clusters = s.exec(select(DetectionRow).where(DetectionRow.rule_id == "Q-VR-03")).all()
    finally:
        container.close()
    assert clusters, "the demo's world has no Q-VR-03 void cluster"
    for cluster in clusters:
        assert cluster.measurements["voids"] >= cluster.measurements["min_voids"] >= 2
        holding = [line for line in summary.cases if cluster.id in line.detection_ids]
        assert len(holding) == 1, holding
        [case] = holding
        assert case.drawer_session_ids == (cluster.drawer_session_id,)
        same_session = [
            line
            for line in summary.cases
            if line.family == "void_return" and cluster.drawer_session_id in line.drawer_session_ids
        ]
        assert same_session == [case]


def test_the_cases_table_fits_80_columns(summary: DemoSummary) -> None:
    console = Console(file=io.StringIO(), width=80, record=True)
    console.print(cases_table(summary))
    text = console.export_text()
    assert all(len(line) <= 80 for line in text.splitlines())
    for line in summary.cases[:15]:
        assert line.case_id in text  # never cut: it is what opens the case
    assert f"{len(summary.cases):,} cases" in text


def test_the_whole_report_fits_80_columns_and_never_splits_a_scenario_name(summary: DemoSummary) -> None:
    console = Console(file=io.StringIO(), width=80, record=True)
    render(summary, console)
    text = console.export_text()
    assert all(len(line) <= 80 for line in text.splitlines())
    words = set(text.split())
    for line in summary.rules.values():
        assert line.matched <= words  # each scenario name whole on one line
    for missed in summary.missed:
        assert missed.scenario_id in words


def test_each_scenario_not_detected_says_why(summary: DemoSummary) -> None:
    """A miss of a rule the data feeds is a miss; one whose rule is missing or not fed by any way
    in says it awaits a capability, so a newcomer can tell a defect from work not done yet."""
    assert summary.missed, "the small world has scenarios for capabilities not built yet"
    reasons = {m.why.split(":")[0] for m in summary.missed}
    assert reasons <= {
        "missed",
        "awaits data Canary does not ingest yet",
        "awaits a capability not built yet",
    }
    console = Console(file=io.StringIO(), width=80, record=True)
    console.print(missed_table(summary))
    text = console.export_text()
    for missed in summary.missed:
        assert missed.rule_id in text


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
    assert "Cases opened (Fox)" in result.stdout
    opened = re.search(r"^ (case_[0-9a-f]{24}) ", result.stdout, re.MULTILINE)
    assert opened is not None, result.stdout
    case_id = opened.group(1)
    assert f"/console/cases/{case_id}" in result.stdout
    flat = re.sub(r" \\\n\s+", " ", result.stdout)  # shell continuation lines joined, as a shell reads them
    assert f"mcp fox --method tools/call --tool-name get_case --tool-arg case_id={case_id}" in flat
    assert "export CANARY_DATABASE_URL" not in result.stdout
    console = "serve` and open\n  http://127.0.0.1:8000/console/\nsigning in with this operator token"
    assert console in result.stdout
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
            # A case the demo's alerts opened, and one of its own (sealed) detections attached to it.
            case = summary.cases[0]
            found = case.detection_ids[0]
            page = client.get(f"/console/cases/{case.case_id}").text
            csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
            client.post(
                f"/console/cases/{case.case_id}/attach",
                data={"csrf": csrf, "kind": "detection", "ref": found},
            )
            worked = client.get(f"/console/cases/{case.case_id}").text
    finally:
        container.close()
    assert found in page  # the case page lists its detections
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


def test_an_mcp_client_opens_the_case_the_demo_printed_with_get_case(
    command: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    """What "What to try next" says: the canary-fox entry of mcp.json, get_case on the printed id."""
    here, result = command
    printed = re.search(r"--tool-arg case_id=(case_[0-9a-f]{24})", result.stdout)
    assert printed is not None, result.stdout[-3000:]
    entry = json.loads((ROOT / "mcp.json").read_text())["mcpServers"]["canary-fox"]
    env = {**entry["env"], "CANARY_MERCHANT_ID": "sim-7"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    env["PYTHONPATH"] = os.environ.get("PYTHONPATH", str(ROOT))
    transport = StdioTransport(entry["command"], entry["args"], env=env, cwd=str(here))

    async def ask() -> Any:
        async with Client(transport) as client:
            return (await client.call_tool("get_case", {"case_id": printed.group(1)})).structured_content

    case = anyio.run(ask)
    assert case is not None
    assert case["case"]["case_id"] == printed.group(1)
    assert case["detections"]
    assert len(case["detections"]) == case["case"]["detections"]


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


TINY = DemoWorld(seed=7, stores=2, days=3)  # both vendors, every stage, a few seconds a run
PINNED = "2026-12-02T12:00:00+00:00"  # one clock for both runs, so both date the same world


def printed_tables(var_dir: str) -> str:
    """What a run of TINY prints (its time zeroed), then every detection id it wrote, in id order."""
    summary = run_demo(
        TINY, Path(var_dir), Console(file=io.StringIO()), FixedClock(datetime.fromisoformat(PINNED))
    )
    summary.seconds = 0.0
    out = Console(file=io.StringIO(), width=120, color_system=None)
    render(summary, out)
    container = _demo_db(summary)
    try:
        with container.db.tenant(summary.merchant_id) as s:
            ids = s.exec(select(DetectionRow.id, DetectionRow.rule_id).order_by(DetectionRow.id)).all()
    finally:
        container.close()
    return out.file.getvalue() + "".join(f"{i} {rule}\n" for i, rule in ids)  # type: ignore[attr-defined]


@pytest.mark.timeout(600)  # two demo processes, each allowed 300 s on a loaded machine
def test_the_same_seed_prints_the_same_tables_byte_for_byte(tmp_path: Path) -> None:
    """Two runs of one seed in two processes with different hash seeds (set and dict-of-set order,
    which one process would share between its runs): the same detection and case tables and the
    same detection ids."""
    runs = []
    for hash_seed in ("1", "2"):
        where = str(tmp_path / hash_seed)
        code = f"from tests.e2e.test_demo import printed_tables; print(printed_tables({where!r}), end='')"
        env = {
            **os.environ,
            "PYTHONHASHSEED": hash_seed,
            "PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT)),
        }
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[-2000:]
        runs.append(done.stdout)
    first, second = runs
    assert "Detections" in first
    assert "Cases opened (Fox)" in first
    assert re.search(r"^\S+ [A-Z]+-\d", first, re.M), "the run wrote no detections to compare"
    assert first == second
