"""canary-bubble from a real MCP client outside Python: the MCP Inspector CLI over stdio, with its
strict schema-portability check over the four tools (`python -m servers.bubble`; read-only mode
hides nothing, there is nothing to hide), and calls through `canary mcp bubble` on a scored SQLite
store with a void spike on one register."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from core.bootstrap import bootstrap
from core.bubble.service.scoring import run
from tests.support import mcp_inspector
from tests.support.bubble_world import seed, world
from tests.support.pipeline import new_merchant, settings_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
TOOLS = {"baseline_history", "get_device_baseline", "query_device_anomalies", "store_pattern"}


@pytest.fixture(scope="module")
def inspector() -> Path:
    return mcp_inspector.install()


@pytest.fixture
def environment(tmp_path: Path) -> dict[str, str]:
    database_url = f"sqlite:///{tmp_path / 'canary.db'}"
    container = bootstrap(settings_for(database_url, tmp_path, redis=False))
    try:
        merchant, _url = new_merchant(container)
        seed(container.db, world(), merchant)
        run(container.db, merchant)
    finally:
        container.close()
    return mcp_inspector.server_env(database_url, tmp_path, merchant)


def test_every_tool_schema_passes_the_strict_check_and_all_are_read_only(
    inspector: Path, environment: dict[str, str], tmp_path: Path
) -> None:
    tools = mcp_inspector.list_tools(
        inspector, [sys.executable, "-m", "servers.bubble"], environment, tmp_path
    )
    assert set(tools) == TOOLS
    assert all(t["annotations"]["readOnlyHint"] for t in tools.values())
    assert all("outputSchema" in t for t in tools.values())
    hidden = mcp_inspector.list_tools(
        inspector, [sys.executable, "-m", "servers.bubble", "--read-only"], environment, tmp_path
    )
    assert set(hidden) == TOOLS


def test_the_inspector_finds_the_void_spike_through_canary_mcp(
    inspector: Path, environment: dict[str, str], tmp_path: Path
) -> None:
    server = [str(Path(sys.executable).parent / "canary"), "mcp", "bubble"]
    answers = {}
    calls = (
        ("query_device_anomalies", ["--tool-arg", "scope=device"]),
        ("get_device_baseline", ["--tool-arg", "device_id=sq:device:D1"]),
    )
    for tool, args in calls:
        method = ["tools/call", "--tool-name", tool, *args]
        answer = mcp_inspector.run(inspector, server, environment, method, cwd=tmp_path, home=tmp_path / "h")
        assert answer["isError"] is False, answer
        answers[tool] = answer.get("structuredContent") or json.loads(answer["content"][0]["text"])
    [episode] = answers["query_device_anomalies"]["items"]
    top = episode["evidence"][0]
    assert (episode["rule_id"], episode["device_id"]) == ("A-BUBBLE-DEVICE", "sq:device:D1")
    assert (top["dimension"], top["unit"], top["observed"]) == ("void_rate", "voids", 9.0)
    baseline = answers["get_device_baseline"]
    assert (baseline["device_id"], baseline["state"]) == ("sq:device:D1", "ok")
    assert {d["dimension"]: d["unit"] for d in baseline["dimensions"]}[
        "avg_ticket"
    ] == "cents per transaction"
