"""canary-chirp over streamable HTTP in the real ingress app, on Postgres as the application role
(row-level security underneath): bearer tokens decide the tenant, the scope and the audit actor."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from fastmcp import Client
from fastmcp.client.transports import StreamableHttpTransport
from fastmcp.exceptions import ToolError

from core.bootstrap import bootstrap
from core.web.app import create_app
from tests.support.mcp_http import serving
from tests.support.pipeline import new_merchant, settings_for

pytestmark = [pytest.mark.postgres, pytest.mark.anyio]
TUNE = {"rule_id": "Q-VR-03", "parameter": "min_voids", "value": 5, "reason": "training tills are noisy"}


@dataclass(frozen=True)
class Deployment:
    url: str  # .../mcp/chirp
    operator_a: str
    operator_a_id: str
    analyst_a: str
    operator_b: str


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def deployment(
    postgres_urls: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    _admin, app_url = postgres_urls
    container = bootstrap(settings_for(app_url, tmp_path_factory.mktemp("chirp-http"), redis=False))
    try:
        (a, _), (b, _) = new_merchant(container), new_merchant(container)
        operator_a = container.tokens.create(a, "operator")
        with serving(create_app(container)) as base:
            yield Deployment(
                url=f"{base}/mcp/chirp",
                operator_a=operator_a.token,
                operator_a_id=operator_a.token_id,
                analyst_a=container.tokens.create(a, "analyst").token,
                operator_b=container.tokens.create(b, "operator").token,
            )
    finally:
        container.close()


@asynccontextmanager
async def holding(d: Deployment, token: str) -> AsyncIterator[Client[Any]]:
    async with Client(StreamableHttpTransport(d.url, auth=token)) as client:
        yield client


async def test_an_operator_token_tunes_and_is_the_actor_an_analyst_token_is_refused_and_b_sees_nothing(
    deployment: Deployment,
) -> None:
    d = deployment
    async with holding(d, d.analyst_a) as client:
        with pytest.raises(ToolError, match="needs the 'rules:write' scope; this analyst's token has"):
            await client.call_tool("tune_rule_threshold", TUNE)
        assert len((await client.call_tool("list_rules", {})).structured_content["items"]) == 30
    async with holding(d, d.operator_a) as client:
        tuned = (await client.call_tool("tune_rule_threshold", TUNE)).structured_content
        [entry] = (await client.call_tool("audit_log", {})).structured_content["items"]
    async with holding(d, d.operator_b) as client:
        rule_b = (await client.call_tool("get_rule", {"rule_id": "Q-VR-03"})).structured_content
        audit_b = (await client.call_tool("audit_log", {})).structured_content
    assert (tuned["before"], tuned["after"]) == (3, 5)
    assert (entry["actor"], entry["action"], entry["reason"]) == (
        f"operator:{d.operator_a_id}",
        "rule.tune",
        TUNE["reason"],
    )
    assert {p["name"]: p["current"] for p in rule_b["parameters"]}["min_voids"] == 3
    assert audit_b["items"] == []
