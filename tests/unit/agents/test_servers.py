"""The one server list: every registered server, reached in process, over stdio as mcp.json says
(for the caller's merchant) or over HTTP; and the model chosen from CANARY_AGENT_MODEL."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastmcp import Client
from fastmcp.client.transports import StdioTransport
from pydantic_ai.models.openai import OpenAIChatModel

from agents import servers
from agents.model import NoModelError, from_environment
from servers.chirp import SPEC as CHIRP
from servers.common import build_server
from servers.registry import SERVERS
from tests.unit.agents.conftest import AgentWorld

pytestmark = pytest.mark.anyio


def test_each_way_of_reaching_the_servers_lists_every_registered_one(world: AgentWorld) -> None:
    names = list(SERVERS)
    assert [s.name for s in servers.in_process(world.container, world.principal())] == names
    assert [s.name for s in servers.stdio("m_a")] == names
    assert [s.name for s in servers.http("http://127.0.0.1:8000/", "tok")] == names


def test_stdio_servers_act_for_the_callers_merchant_and_person(tmp_path: Path) -> None:
    environ = {
        "CANARY_DATABASE_URL": "sqlite:///x.db",
        "CANARY_MERCHANT_ID": "m_someone_else",
        "PATH": "/bin",
    }
    [first, *_] = servers.stdio("m_caller", read_only=True, actor="alice", environ=environ)
    transport = first.toolset.client.transport
    assert isinstance(transport, StdioTransport)
    assert transport.env is not None
    assert transport.env["CANARY_MERCHANT_ID"] == "m_caller"
    assert (transport.env["CANARY_ACTOR"], transport.env["CANARY_DATABASE_URL"]) == (
        "alice",
        "sqlite:///x.db",
    )
    assert transport.args[-3:] == ["mcp", first.name, "--read-only"]


async def test_a_stdio_servers_writes_are_audited_as_canary_actor(world: AgentWorld) -> None:
    merchant = world.other.merchant_id
    settings = world.container.settings.model_copy(update={"merchant_id": merchant, "actor": "carol"})
    server = build_server(CHIRP, settings=settings, container=world.container)
    async with Client(server) as client:
        await client.call_tool(
            "tune_rule_threshold",
            {"rule_id": "Q-DS-01", "parameter": "gap_cents", "value": 2500, "reason": "cash office asked"},
        )
        audit = (await client.call_tool("audit_log", {"rule_id": "Q-DS-01"})).structured_content
    assert [(e["action"], e["actor"]) for e in audit["items"]] == [("rule.tune", "ops:stdio:carol")]


def test_without_a_model_the_message_says_how_to_set_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(NoModelError, match=r"set CANARY_AGENT_MODEL, e\.g\. CANARY_AGENT_MODEL=anthropic:"):
        from_environment({})
    with pytest.raises(NoModelError, match="ANTHROPIC_API_KEY"):
        from_environment({"CANARY_AGENT_MODEL": "anthropic:claude-sonnet-4-5"})


def test_a_base_url_means_an_openai_compatible_chat_server() -> None:
    model = from_environment(
        {"CANARY_AGENT_MODEL": "openai:qwen3", "CANARY_AGENT_BASE_URL": "http://127.0.0.1:9/v1"}
    )
    assert isinstance(model, OpenAIChatModel)
    assert (model.model_name, model.base_url) == ("qwen3", "http://127.0.0.1:9/v1/")
