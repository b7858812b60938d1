"""canary-chirp from a real MCP client outside Python: the MCP Inspector CLI over stdio, with its
strict schema-portability check over all fourteen tools, started as `canary mcp chirp`."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.support import mcp_inspector
from tests.support.pipeline import onboarded_sqlite

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
READ_TOOLS = {
    "audit_log",
    "dry_run_rule",
    "get_detection_detail",
    "get_rule",
    "list_rules",
    "preview_vertical_pack",
    "query_detections",
    "substrate_scorecard",
}
WRITE_TOOLS = {
    "add_allow_list_entry",
    "apply_vertical_pack",
    "pin_catalog_version",
    "promote_rule",
    "revoke_allow_list_entry",
    "tune_rule_threshold",
}


@pytest.fixture(scope="module")
def inspector() -> Path:
    return mcp_inspector.install()


def environment(tmp_path: Path) -> dict[str, str]:
    database_url = onboarded_sqlite(tmp_path, "m_chirp_inspector")
    return mcp_inspector.server_env(database_url, tmp_path, "m_chirp_inspector")


def test_every_tool_schema_passes_the_strict_check_of_a_non_python_client(
    inspector: Path, tmp_path: Path
) -> None:
    server = [str(Path(sys.executable).parent / "canary"), "mcp", "chirp"]
    tools = mcp_inspector.list_tools(inspector, server, environment(tmp_path), tmp_path)
    assert set(tools) == READ_TOOLS | WRITE_TOOLS
    assert {name for name, t in tools.items() if t["annotations"]["readOnlyHint"]} == READ_TOOLS
    assert all("outputSchema" in t for t in tools.values())
