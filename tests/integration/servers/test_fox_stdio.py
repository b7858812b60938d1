"""``python -m servers.fox`` as an MCP client starts it: over stdio, for CANARY_MERCHANT_ID, with the
caller as the audit actor; ``--read-only`` offers only the read tools."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastmcp import Client
from fastmcp.client.transports import StdioTransport

from core.cases.domain.model import Alert, Severity
from core.cases.service.consumer import FoxConsumer
from core.clock import SystemClock
from core.db.engine import make_engine
from core.db.uow import Database
from tests.support.pipeline import TEST_MASTER_KEY, TEST_SIGNING_KEY, onboarded_sqlite

pytestmark = [pytest.mark.anyio, pytest.mark.e2e, pytest.mark.slow]
ROOT = Path(__file__).parents[3]
MERCHANT = "m_fox_stdio"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def server(tmp_path: Path, *flags: str) -> Client[Any]:
    url = onboarded_sqlite(tmp_path, MERCHANT)
    db = Database(make_engine(url))
    when = datetime.now(UTC) - timedelta(hours=2)
    alerts = [
        Alert(
            f"det_{i}",
            "Q-VR-03",
            "void_return",
            Severity.LOW,
            "fraud",
            when + timedelta(minutes=i),
            employee_id="sq:employee:TM1",
            drawer_session_id="sess_1",
        )
        for i in range(3)
    ]
    FoxConsumer(db, SystemClock()).process(MERCHANT, alerts)
    db.dispose()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "CANARY_DATABASE_URL": url,
        "CANARY_VAR_DIR": str(tmp_path),
        "CANARY_MERCHANT_ID": MERCHANT,
        "CANARY_MASTER_KEY": TEST_MASTER_KEY,
        "CANARY_LEDGER_SIGNING_KEY": TEST_SIGNING_KEY,
    }
    return Client(StdioTransport(sys.executable, ["-m", "servers.fox", *flags], env=env, cwd=str(ROOT)))


async def test_the_stdio_server_works_the_configured_merchants_cases_as_the_local_actor(
    tmp_path: Path,
) -> None:
    async with server(tmp_path) as client:
        top = (await client.call_tool("top_cases", {})).structured_content
        assert top is not None
        [case] = top["items"]
        started = (
            await client.call_tool("start_investigation", {"case_id": case["case_id"]})
        ).structured_content
    assert (case["detections"], case["severity"]) == (3, "medium")
    assert started is not None
    assert (started["transition"]["actor"], started["case"]["state"]) == ("ops:stdio", "in_progress")


async def test_the_read_only_stdio_server_offers_only_read_tools(tmp_path: Path) -> None:
    async with server(tmp_path, "--read-only") as client:
        names = {t.name for t in await client.list_tools()}
    assert names == {"list_cases", "get_case", "top_cases", "rule_outcome_stats", "case_digest"}
