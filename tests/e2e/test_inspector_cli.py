"""canary-identity from a real MCP client outside Python: the MCP Inspector CLI over stdio, against
a seeded SQLite database, started both as `python -m servers.identity` and as `canary mcp identity`;
and over streamable HTTP with a bearer token, against the ingress app."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from core.bootstrap import bootstrap
from core.web.app import create_app
from tests.support import mcp_inspector
from tests.support.mcp_http import serving
from tests.support.mcp_world import Shop, seed_shop
from tests.support.pipeline import settings_for

pytestmark = pytest.mark.e2e
IDENTITY_TOOLS = {
    "customer_complaints",
    "customer_history",
    "customer_metrics",
    "customer_segments",
    "lookup_customer",
    "lookup_customer_by_card",
}


@pytest.fixture(scope="module")
def inspector() -> Path:
    return mcp_inspector.install()


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[Shop, dict[str, str]]:
    database_url = f"sqlite:///{tmp_path / 'canary.db'}"
    container = bootstrap(settings_for(database_url, tmp_path, redis=False))
    try:
        shop = seed_shop(container.db)
    finally:
        container.close()
    return shop, mcp_inspector.server_env(database_url, tmp_path, shop.merchant_id)


def test_the_inspector_lists_the_identity_tools_as_read_only(
    inspector: Path, seeded: tuple[Shop, dict[str, str]], tmp_path: Path
) -> None:
    _shop, env = seeded
    server = [sys.executable, "-m", "servers.identity", "--read-only"]
    answer = mcp_inspector.run(inspector, server, env, ["tools/list"], cwd=tmp_path, home=tmp_path / "home")
    tools = {t["name"]: t for t in answer["tools"]}
    assert set(tools) == IDENTITY_TOOLS
    for tool in tools.values():
        assert tool["annotations"]["readOnlyHint"] is True
        assert tool["annotations"]["destructiveHint"] is False
        assert "outputSchema" in tool


def test_the_inspector_calls_customer_metrics_through_canary_mcp(
    inspector: Path, seeded: tuple[Shop, dict[str, str]], tmp_path: Path
) -> None:
    shop, env = seeded
    server = [str(Path(sys.executable).parent / "canary"), "mcp", "identity"]
    method = ["tools/call", "--tool-name", "customer_metrics", "--tool-arg", f"customer={shop.alice}"]
    answer = mcp_inspector.run(inspector, server, env, method, cwd=tmp_path, home=tmp_path / "home")
    assert answer["isError"] is False
    metrics = answer["structuredContent"]
    assert metrics["customer_id"] == shop.alice
    assert (metrics["lifetime_value_gross_cents"], metrics["refunds_cents"]) == (15_000, 2_500)
    assert (metrics["lifetime_value_net_cents"], metrics["transaction_count"]) == (12_500, 2)
    assert not (tmp_path / "var").exists()  # the server wrote only where CANARY_VAR_DIR said


def test_the_inspector_calls_lookup_customer_over_http_with_a_bearer_token(
    inspector: Path, tmp_path: Path
) -> None:
    container = bootstrap(settings_for(f"sqlite:///{tmp_path / 'canary.db'}", tmp_path, redis=False))
    try:
        shop = seed_shop(container.db)
        token = container.tokens.create(shop.merchant_id, "gm").token
        with serving(create_app(container)) as base:
            server = [
                "--transport",
                "http",
                "--server-url",
                f"{base}/mcp/identity",
                "--header",
                f"Authorization: Bearer {token}",
            ]
            method = ["tools/call", "--tool-name", "lookup_customer", "--tool-arg", f"customer={shop.alice}"]
            answer = mcp_inspector.run(inspector, server, {}, method, cwd=tmp_path, home=tmp_path / "home")
    finally:
        container.close()
    found = answer["structuredContent"]
    assert found["found"] is True
    assert found["customer"]["customer_id"] == shop.alice
    assert found["customer"]["lifetime_value_net_cents"] == 12_500
