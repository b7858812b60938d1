"""``python -m servers.chirp`` as an MCP client starts it: over stdio, for CANARY_MERCHANT_ID."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
from fastmcp import Client
from fastmcp.client.transports import StdioTransport

from tests.support.pipeline import TEST_MASTER_KEY, TEST_SIGNING_KEY, onboarded_sqlite

pytestmark = [pytest.mark.anyio, pytest.mark.e2e, pytest.mark.slow]
ROOT = Path(__file__).parents[3]
MERCHANT = "m_chirp_stdio"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def server(tmp_path: Path, *flags: str) -> Client[Any]:
    # A stdio child inherits almost no environment, so everything it needs is passed explicitly.
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "CANARY_DATABASE_URL": onboarded_sqlite(tmp_path, MERCHANT),
        "CANARY_VAR_DIR": str(tmp_path),
        "CANARY_MERCHANT_ID": MERCHANT,
        "CANARY_MASTER_KEY": TEST_MASTER_KEY,
        "CANARY_LEDGER_SIGNING_KEY": TEST_SIGNING_KEY,
    }
    return Client(StdioTransport(sys.executable, ["-m", "servers.chirp", *flags], env=env, cwd=str(ROOT)))


async def test_the_stdio_server_acts_for_the_configured_merchant_and_logs_it_as_the_actor(
    tmp_path: Path,
) -> None:
    async with server(tmp_path) as client:
        rules = (await client.call_tool("list_rules", {})).structured_content
        pinned = await client.call_tool(
            "pin_catalog_version", {"version": "1.0.0", "reason": "season freeze"}
        )
        audit = (await client.call_tool("audit_log", {})).structured_content
    assert rules is not None
    assert len(rules["items"]) == 30
    assert pinned.structured_content == {"before": None, "after": "1.0.0", "rules": 28}
    assert audit is not None
    [entry] = audit["items"]
    assert (entry["action"], entry["actor"], entry["reason"]) == ("catalog.pin", "ops:stdio", "season freeze")


async def test_the_read_only_stdio_server_offers_only_read_tools(tmp_path: Path) -> None:
    async with server(tmp_path, "--read-only") as client:
        names = {t.name for t in await client.list_tools()}
        refused = await client.call_tool(
            "pin_catalog_version", {"version": "1.0.0", "reason": "season freeze"}, raise_on_error=False
        )
    assert names == {
        "list_rules",
        "get_rule",
        "substrate_scorecard",
        "dry_run_rule",
        "query_detections",
        "get_detection_detail",
        "preview_vertical_pack",
        "audit_log",
    }
    assert refused.is_error
