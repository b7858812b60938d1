"""canary-chirp through an in-memory MCP client on a SQLite container: the tool surface, who may
call what, read-only mode, the catalog and allow-list refusals. The helpers here are shared with
test_chirp_workflows.py (events through the Chirp stage, tuning, dry runs, packs, cleaning)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastmcp import Client

from core.auth.principal import DEFAULT_SCOPES, Principal
from core.bootstrap import Container, bootstrap
from core.clock import FixedClock
from core.rules.allow_lists import MAX_EXPIRY_DAYS
from core.simulate.canonical import at
from servers.chirp import SPEC
from servers.common import build_server
from tests.support.pipeline import settings_for

pytestmark = pytest.mark.anyio
MERCHANT = "m_chirp_tools"
NOW = at(hours=3)
WHY = "reviewed with the store GM"
OPERATOR = Principal(MERCHANT, "operator", frozenset(DEFAULT_SCOPES["operator"]), "memory", "tok_op")
ANALYST = Principal(MERCHANT, "analyst", frozenset(DEFAULT_SCOPES["analyst"]), "memory", "tok_an")

READ_TOOLS = {
    "list_rules": ["family"],
    "get_rule": ["rule_id"],
    "substrate_scorecard": [],
    "dry_run_rule": ["end", "params", "rule_id", "sample", "start", "warmup_days"],
    "query_detections": [
        "cursor",
        "employee_id",
        "include_suppressed",
        "limit",
        "location_id",
        "rule_id",
        "since",
        "until",
    ],
    "get_detection_detail": ["detection_id"],
    "preview_vertical_pack": ["pack_id"],
    "audit_log": ["cursor", "limit", "rule_id", "since", "until"],
}
# name: (arguments, destructive, idempotent)
WRITE_TOOLS = {
    "tune_rule_threshold": (["parameter", "reason", "rule_id", "value"], False, False),
    "add_allow_list_entry": (["expires_at", "expires_in_days", "reason", "rule_id", "scope"], False, False),
    "revoke_allow_list_entry": (["entry_id", "reason"], True, True),
    "promote_rule": (["force", "mode", "reason", "rule_id"], False, False),
    "apply_vertical_pack": (["pack_id", "reapply", "reason"], False, False),
    "pin_catalog_version": (["reason", "version"], False, True),
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@contextmanager
def sqlite_container(tmp_path: Path) -> Iterator[Container]:
    """A whole Canary on embedded SQLite with the in-memory bus, its clock stopped at ``NOW``."""
    settings = settings_for(f"sqlite:///{tmp_path / 'canary.db'}", tmp_path, redis=False)
    built = bootstrap(settings, clock=FixedClock(NOW))
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def container(tmp_path: Path) -> Iterator[Container]:
    with sqlite_container(tmp_path) as built:
        yield built


@asynccontextmanager
async def chirp(
    container: Container, principal: Principal = OPERATOR, *, read_only: bool = False
) -> AsyncIterator[Client[Any]]:
    server = build_server(SPEC, container=container, principal=principal, read_only=read_only)
    async with Client(server) as client:
        yield client


async def call(client: Client[Any], tool: str, **arguments: Any) -> Any:
    result = await client.call_tool(tool, arguments)
    return result.structured_content


async def refusal(client: Client[Any], tool: str, **arguments: Any) -> str:
    result = await client.call_tool(tool, arguments, raise_on_error=False)
    assert result.is_error, f"{tool} should have been refused"
    text: str = result.content[0].text  # type: ignore[union-attr]
    return text


async def test_the_tool_list_matches_the_design_with_honest_annotations(container: Container) -> None:
    async with chirp(container) as client:
        tools = {t.name: t for t in await client.list_tools()}
    assert set(tools) == set(READ_TOOLS) | set(WRITE_TOOLS)
    for name, arguments in READ_TOOLS.items():
        hints = tools[name].annotations
        assert hints is not None
        assert sorted(tools[name].input_schema["properties"]) == arguments, name
        assert (hints.read_only_hint, hints.destructive_hint, hints.open_world_hint) == (True, False, False)
    for name, (arguments, destructive, idempotent) in WRITE_TOOLS.items():
        hints = tools[name].annotations
        assert hints is not None
        assert sorted(tools[name].input_schema["properties"]) == arguments, name
        assert (hints.read_only_hint, hints.destructive_hint, hints.idempotent_hint) == (
            False,
            destructive,
            idempotent,
        ), name
        assert "reason" in tools[name].input_schema["required"], name
    assert f"at most {MAX_EXPIRY_DAYS} days" in (tools["add_allow_list_entry"].description or "")
    for tool in tools.values():
        assert tool.output_schema is not None, tool.name
        assert len(tool.description or "") > 200, f"{tool.name} needs a real description"
        undescribed = [n for n, p in tool.input_schema["properties"].items() if not p.get("description")]
        assert undescribed == [], f"{tool.name} has undescribed arguments"


async def test_list_rules_and_get_rule_show_every_catalog_rule(container: Container) -> None:
    async with chirp(container, ANALYST) as client:
        listed = await call(client, "list_rules")
        details = [await call(client, "get_rule", rule_id=r["rule_id"]) for r in listed["items"]]
        margins = await call(client, "list_rules", family="margin_erosion")
    ids = [r["rule_id"] for r in listed["items"]]
    assert set(ids) == set(container.chirp_service.catalog.rules)
    assert (sum(i.startswith("Q-") for i in ids), ids.count("C-005"), len(ids)) == (27, 1, 30)
    assert {r["mode"] for r in listed["items"]} == {"dry_run"}
    assert [d["rule_id"] for d in details] == ids
    assert all(d["definition"] and d["parameters"] is not None for d in details)
    assert [r["rule_id"] for r in margins["items"]] == ["Q-ME-01", "Q-ME-02"]


async def test_an_unknown_rule_id_is_refused_with_where_to_find_valid_ones(container: Container) -> None:
    async with chirp(container) as client:
        for tool, extra in (("get_rule", {}), ("promote_rule", {"mode": "observation", "reason": WHY})):
            message = await refusal(client, tool, rule_id="Q-XX-99", **extra)
            assert "no rule 'Q-XX-99'" in message
            assert "list_rules" in message
        pack = await refusal(client, "preview_vertical_pack", pack_id="bakery")
    assert "no vertical pack 'bakery' (packs: garden-center)" in pack


def _entry(container: Container) -> dict[str, Any]:
    view = container.chirp_service.add_allow_list_entry(
        MERCHANT, "Q-DM-01", {"customer_tier": "WHOLESALE"}, reason=WHY, expires_at=at(days=30), actor="t"
    )
    return {"entry_id": view.entry_id, "reason": "tier discontinued by the owner"}


OPERATOR_ONLY: dict[str, Callable[[Container], dict[str, Any]]] = {
    "tune_rule_threshold": lambda _: {
        "rule_id": "Q-DM-01",
        "parameter": "fallback_max_discount_pct",
        "value": 35,
        "reason": WHY,
    },
    "add_allow_list_entry": lambda _: {
        "rule_id": "Q-DM-01",
        "scope": {"customer_tier": "WHOLESALE"},
        "reason": WHY,
        "expires_in_days": 30,
    },
    "revoke_allow_list_entry": _entry,
    "promote_rule": lambda _: {"rule_id": "Q-VR-03", "mode": "observation", "reason": WHY, "force": True},
    "apply_vertical_pack": lambda _: {"pack_id": "garden-center", "reason": "tenant is a garden center"},
    "pin_catalog_version": lambda _: {"version": "1.0.0", "reason": "freeze rules for the season"},
}


@pytest.mark.parametrize("tool", sorted(OPERATOR_ONLY))
async def test_operator_only_tools_refuse_an_analyst_and_work_for_an_operator(
    container: Container, tool: str
) -> None:
    arguments = OPERATOR_ONLY[tool](container)
    audited = len(container.chirp_service.audit_log(MERCHANT).items)
    async with chirp(container, ANALYST) as client:
        message = await refusal(client, tool, **arguments)
    assert message == "this tool needs the 'rules:write' scope; this analyst's token has: cases:write, read"
    assert len(container.chirp_service.audit_log(MERCHANT).items) == audited  # the refusal changed nothing
    async with chirp(container, OPERATOR) as client:
        await call(client, tool, **arguments)
        [latest, *_] = (await call(client, "audit_log", limit=1))["items"]
    assert latest["actor"] == "operator:tok_op"
    assert latest["reason"] == arguments["reason"]


async def test_read_only_mode_hides_and_refuses_every_write_tool_even_for_an_operator(
    container: Container,
) -> None:
    async with chirp(container, OPERATOR, read_only=True) as client:
        names = {t.name for t in await client.list_tools()}
        refusals = {
            tool: await refusal(client, tool, **OPERATOR_ONLY[tool](container)) for tool in WRITE_TOOLS
        }
        rules = await call(client, "list_rules")
    assert names == set(READ_TOOLS)
    assert all("Unknown tool" in message for message in refusals.values()), refusals
    assert len(rules["items"]) == 30
    assert [a.action for a in container.chirp_service.audit_log(MERCHANT).items] == [
        "allow_list.add"
    ]  # setup only


async def test_an_allow_list_entry_without_an_expiry_or_beyond_the_maximum_is_refused(
    container: Container,
) -> None:
    entry = {"rule_id": "Q-DM-01", "scope": {"customer_tier": "WHOLESALE"}, "reason": WHY}
    async with chirp(container) as client:
        missing = await refusal(client, "add_allow_list_entry", **entry)
        too_far = await refusal(client, "add_allow_list_entry", **entry, expires_in_days=500)
        absurd = await refusal(client, "add_allow_list_entry", **entry, expires_in_days=10**12)
        too_far_at = await refusal(client, "add_allow_list_entry", **entry, expires_at="2028-01-01T00:00:00Z")
        both = await refusal(
            client, "add_allow_list_entry", **entry, expires_in_days=5, expires_at="2026-06-01T00:00:00Z"
        )
        wrong_scope = await refusal(
            client, "add_allow_list_entry", **{**entry, "scope": {"vendor": "V1"}}, expires_in_days=5
        )
        added = await call(client, "add_allow_list_entry", **entry, expires_in_days=90)
    assert missing == "an allow-list entry needs an expiry (at most 365 days from now)"
    assert "more than 365 days away; the maximum is 2027-05-04" in too_far
    assert "more than 365 days away" in too_far_at
    assert absurd == "invalid arguments: a date or number is out of the range this tool can work with"
    assert both == "give expires_at or expires_in_days, not both"
    assert "Q-DM-01 cannot be allow-listed by vendor" in wrong_scope
    assert (added["status"], added["expires_at"]) == ("active", "2026-08-02T17:00:00Z")
    assert [e.entry_id for e in container.chirp_service.list_allow_list_entries(MERCHANT)] == [
        added["entry_id"]
    ]
