"""canary-fox from a real MCP client outside Python: the MCP Inspector CLI over stdio, started as
`canary mcp fox`, lists the twelve tools through its strict schema-portability check, and calls one."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.integration.servers.test_chirp_inspector import environment, inspector  # noqa: F401 (fixture)
from tests.support import mcp_inspector

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
READ_TOOLS = {"list_cases", "get_case", "top_cases", "rule_outcome_stats", "case_digest"}
WRITE_TOOLS = {
    "start_investigation",
    "add_case_note",
    "attach_evidence",
    "resolve_case",
    "dismiss_case",
    "reopen_case",
    "set_bundling_policy",
}


def test_the_inspector_lists_every_tool_strictly_and_calls_one(inspector: Path, tmp_path: Path) -> None:  # noqa: F811
    server = [str(Path(sys.executable).parent / "canary"), "mcp", "fox"]
    env = environment(tmp_path)
    tools = mcp_inspector.list_tools(inspector, server, env, tmp_path)
    assert set(tools) == READ_TOOLS | WRITE_TOOLS
    assert {name for name, t in tools.items() if t["annotations"]["readOnlyHint"]} == READ_TOOLS
    assert all("outputSchema" in t for t in tools.values())
    called = mcp_inspector.run(
        inspector,
        server,
        env,
        ["tools/call", "--tool-name", "top_cases", "--tool-arg", "limit=5"],
        cwd=tmp_path,
        home=tmp_path / "h",
    )
    assert called["structuredContent"] == {"items": []}
