"""canary-tsp-ops from a real MCP client outside Python: the MCP Inspector CLI over stdio, with its
strict schema-portability check over all eight tools (`python -m servers.tsp_ops`), read-only mode
hiding replay_event, and calls through `canary mcp tsp-ops` on a sealed SQLite ledger."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from core.bootstrap import bootstrap
from core.ingest.inbox import IncomingEvent
from core.pipeline.workers import drain
from tests.support import mcp_inspector
from tests.support.pipeline import new_merchant, settings_for, webhook

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
READ_TOOLS = {
    "anchor_status",
    "get_consistency_proof",
    "get_inclusion_proof",
    "ingestion_status",
    "list_parse_failures",
    "pipeline_health",
    "verify_chain",
}


@pytest.fixture(scope="module")
def inspector() -> Path:
    return mcp_inspector.install()


@pytest.fixture
def environment(tmp_path: Path) -> dict[str, str]:
    """A merchant with three sealed events (two payments, one body that fails to parse)."""
    database_url = f"sqlite:///{tmp_path / 'canary.db'}"
    container = bootstrap(settings_for(database_url, tmp_path, redis=False))
    try:
        merchant, _url = new_merchant(container)
        for raw in (webhook("payment.created"), b"not json", webhook("payment.created")):
            container.inbox.accept(IncomingEvent(merchant, "SQUARE", "WEBHOOK", raw, None, "payment.created"))
        drain(container.pipeline)
    finally:
        container.close()
    return mcp_inspector.server_env(database_url, tmp_path, merchant)


def test_every_tool_schema_passes_the_strict_check_and_read_only_hides_replay(
    inspector: Path, environment: dict[str, str], tmp_path: Path
) -> None:
    tools = mcp_inspector.list_tools(
        inspector, [sys.executable, "-m", "servers.tsp_ops"], environment, tmp_path
    )
    assert set(tools) == READ_TOOLS | {"replay_event"}
    assert {name for name, t in tools.items() if t["annotations"]["readOnlyHint"]} == READ_TOOLS
    assert all("outputSchema" in t for t in tools.values())
    hidden = mcp_inspector.list_tools(
        inspector, [sys.executable, "-m", "servers.tsp_ops", "--read-only"], environment, tmp_path
    )
    assert set(hidden) == READ_TOOLS


def test_the_inspector_reads_health_and_verifies_the_chain_through_canary_mcp(
    inspector: Path, environment: dict[str, str], tmp_path: Path
) -> None:
    server = [str(Path(sys.executable).parent / "canary"), "mcp", "tsp-ops"]
    answers = {}
    for tool, args in (("pipeline_health", []), ("verify_chain", ["--tool-arg", "from_seq=1"])):
        method = ["tools/call", "--tool-name", tool, *args]
        answer = mcp_inspector.run(inspector, server, environment, method, cwd=tmp_path, home=tmp_path / "h")
        assert answer["isError"] is False, answer
        answers[tool] = answer.get("structuredContent") or json.loads(answer["content"][0]["text"])
    health, verified = answers["pipeline_health"], answers["verify_chain"]
    assert (health["sealed_events"], health["parsed"], health["failed"]) == (3, 2, 1)
    assert (verified["ok"], verified["records_checked"], verified["first_bad_seq"]) == (True, 3, None)
