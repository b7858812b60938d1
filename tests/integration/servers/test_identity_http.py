"""canary-identity over streamable HTTP, in the real ingress app on Postgres as the application role
(row-level security underneath): bearer tokens, tenant isolation and scope refusal."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastmcp import Client
from fastmcp.client.transports import StreamableHttpTransport
from fastmcp.exceptions import ToolError

from core.bootstrap import bootstrap
from core.web.app import create_app
from tests.support.mcp_http import serving
from tests.support.mcp_world import CLEAN_REASON, SHARED_CARD, Shop, seed_shop
from tests.support.pipeline import settings_for

pytestmark = [pytest.mark.postgres, pytest.mark.anyio]
LIST_TOOLS = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}

PUBLIC_BASE = "https://canary.example.com"


@dataclass(frozen=True)
class Deployment:
    url: str  # .../mcp/identity
    base: str
    a: Shop
    b: Shop
    token_a: str
    token_b: str
    revoked: str
    no_read: str


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def deployment(
    postgres_urls: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    _admin, app_url = postgres_urls
    container = bootstrap(
        settings_for(app_url, tmp_path_factory.mktemp("http"), redis=False, public_base_url=PUBLIC_BASE)
    )
    try:
        a, b = seed_shop(container.db), seed_shop(container.db)
        tokens = container.tokens
        revoked = tokens.create(a.merchant_id, "analyst", label="left the company")
        assert tokens.revoke(a.merchant_id, revoked.token_id)
        with serving(create_app(container)) as base:
            yield Deployment(
                url=f"{base}/mcp/identity",
                base=base,
                a=a,
                b=b,
                token_a=tokens.create(a.merchant_id, "analyst").token,
                token_b=tokens.create(b.merchant_id, "gm").token,
                revoked=revoked.token,
                no_read=tokens.create(a.merchant_id, "analyst", ["cases:write"]).token,
            )
    finally:
        container.close()


@asynccontextmanager
async def as_merchant(d: Deployment, token: str) -> AsyncIterator[Client[Any]]:
    async with Client(StreamableHttpTransport(d.url, auth=token)) as client:
        yield client


async def call(client: Client[Any], tool: str, **args: Any) -> Any:
    return (await client.call_tool(tool, args)).structured_content


async def test_a_merchant_token_lists_the_six_identity_tools_and_sees_its_own_customer(
    deployment: Deployment,
) -> None:
    d = deployment
    async with as_merchant(d, d.token_a) as client:
        tools = sorted(t.name for t in await client.list_tools())
        metrics = await call(client, "customer_metrics", customer=d.a.alice)
        complaints = await call(client, "customer_complaints", customer=d.a.alice)
    assert tools == sorted(
        [
            "customer_complaints",
            "customer_history",
            "customer_metrics",
            "customer_segments",
            "lookup_customer",
            "lookup_customer_by_card",
        ]
    )
    assert (metrics["lifetime_value_net_cents"], metrics["transaction_count"]) == (12_500, 2)
    assert complaints["customers"][0]["reasons"][0]["reason"] == CLEAN_REASON


async def test_merchant_a_sees_nothing_of_merchant_b_from_any_tool(deployment: Deployment) -> None:
    d = deployment
    async with as_merchant(d, d.token_a) as client:
        lookup = await call(client, "lookup_customer", customer=d.b.alice)
        for tool in ("customer_metrics", "customer_history"):
            with pytest.raises(ToolError, match="No customer"):
                await client.call_tool(tool, {"customer": d.b.alice})
        for tool in ("customer_segments", "customer_complaints"):
            with pytest.raises(ToolError, match="No customer"):
                await client.call_tool(tool, {"customer": d.b.carol})
        card = await call(client, "lookup_customer_by_card", fingerprint=SHARED_CARD)  # both shops use it
        segments = await call(client, "customer_segments")
        complaints = await call(client, "customer_complaints")
    assert lookup["found"] is False
    assert [c["customer_id"] for c in card["customers"]] == [d.a.alice, d.a.bob]
    assert card["card"]["use_count"] == 3
    assert sum(s["customers"] for s in segments["segments"]) == 3
    assert [c["customer_id"] for c in complaints["customers"]] == [d.a.alice]


async def test_merchant_b_token_answers_for_b(deployment: Deployment) -> None:
    d = deployment
    async with as_merchant(d, d.token_b) as client:
        found = await call(client, "lookup_customer", customer=d.b.alice)
        hidden = await call(client, "lookup_customer", customer=d.a.alice)
    assert found["found"]
    assert found["customer"]["customer_id"] == d.b.alice
    assert hidden["found"] is False


@pytest.mark.parametrize("who", ["none", "garbage", "well-formed-unknown", "revoked"])
def test_a_request_without_a_valid_token_gets_401_before_any_tool_runs(
    deployment: Deployment, who: str
) -> None:
    d = deployment
    token = {
        "none": None,
        "garbage": "not-a-token",
        "well-formed-unknown": "cnry_0123456789abcdef_" + "A" * 43,
        "revoked": d.revoked,
    }[who]
    headers = {"Accept": "application/json, text/event-stream"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = httpx.post(d.url, json=LIST_TOOLS, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "tools" not in response.text


@pytest.mark.parametrize("who", ["garbage", "well-formed-unknown", "revoked"])
def test_a_bad_token_is_told_it_is_invalid_and_where_tokens_come_from_not_sent_to_oauth(
    deployment: Deployment, who: str
) -> None:
    d = deployment
    token = {"garbage": "not-a-token", "well-formed-unknown": "cnry_0123456789abcdef_" + "A" * 43}.get(
        who, d.revoked
    )
    headers = {"Accept": "application/json, text/event-stream", "Authorization": f"Bearer {token}"}
    response = httpx.post(d.url, json=LIST_TOOLS, headers=headers)
    challenge = response.headers["www-authenticate"]
    assert response.status_code == 401
    assert challenge.startswith(
        'Bearer error="invalid_token", error_description="the bearer token is not valid'
    )
    assert "canary token create" in challenge
    assert challenge.endswith('scope="read"')  # the challenge's own parameters are kept
    assert response.json()["error"] == "invalid_token"
    assert "canary token create" in response.json()["error_description"]
    assert "re-register" not in response.text


def test_a_request_with_no_token_gets_a_challenge_without_an_error_and_a_body_saying_how(
    deployment: Deployment,
) -> None:
    response = httpx.post(
        deployment.url, json=LIST_TOOLS, headers={"Accept": "application/json, text/event-stream"}
    )
    assert response.status_code == 401
    assert "error=" not in response.headers["www-authenticate"]  # RFC 6750 §3.1: no credentials, no error
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "Authorization: Bearer <token>" in response.json()["error_description"]


def test_a_token_without_the_read_scope_is_refused_and_told_which_scope_it_lacks(
    deployment: Deployment,
) -> None:
    d = deployment
    response = httpx.post(
        d.url,
        json=LIST_TOOLS,
        headers={"Authorization": f"Bearer {d.no_read}", "Accept": "application/json, text/event-stream"},
    )
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
    assert "read" in response.json()["error_description"]


def test_the_protected_resource_metadata_is_served_at_the_root_and_health_still_answers(
    deployment: Deployment,
) -> None:
    d = deployment
    metadata = httpx.get(f"{d.base}/.well-known/oauth-protected-resource/mcp/identity").json()
    assert metadata["resource"] == f"{PUBLIC_BASE}/mcp/identity"  # the configured public URL
    assert metadata["bearer_methods_supported"] == ["header"]
    assert "read" in metadata["scopes_supported"]
    assert httpx.get(f"{d.base}/healthz").status_code == 200


def test_the_resource_metadata_ignores_the_host_header(deployment: Deployment) -> None:
    d = deployment
    metadata = httpx.get(
        f"{d.base}/.well-known/oauth-protected-resource/mcp/identity", headers={"Host": "evil.example"}
    ).json()
    assert metadata["resource"] == f"{PUBLIC_BASE}/mcp/identity"


def test_a_foreign_host_header_is_refused_on_a_loopback_server(deployment: Deployment) -> None:
    d = deployment  # DNS rebinding: a page on evil.example resolving to 127.0.0.1
    response = httpx.post(
        d.url, json=LIST_TOOLS, headers={"Host": "evil.example", "Authorization": f"Bearer {d.token_a}"}
    )
    assert response.status_code == 421


LEAKS = ("pydantic", "validation error", "input_value", "Traceback", "JSONRPCRequest")


def test_malformed_protocol_messages_get_a_plain_error(deployment: Deployment) -> None:
    d = deployment
    headers = {
        "Authorization": f"Bearer {d.token_a}",
        "Accept": "application/json, text/event-stream",
        "Content-Type": "application/json",
    }
    for message in ('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":"nope"}', "[1,2]", '"x"'):
        response = httpx.post(d.url, content=message, headers=headers)
        assert response.status_code == 400
        assert not any(leak.lower() in response.text.lower() for leak in LEAKS), response.text
        assert response.json()["error"]["code"] in (-32600, -32602, -32700)


async def test_an_out_of_range_date_gets_a_clear_message(deployment: Deployment) -> None:
    d = deployment
    async with as_merchant(d, d.token_a) as client:
        with pytest.raises(ToolError, match="out of the range"):
            await client.call_tool("customer_segments", {"as_of": "0001-01-01T00:00:00Z"})
