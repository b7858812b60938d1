"""canary-bubble through an in-memory MCP client on a SQLite container that scored a stored world
(three registers, two weeks, a void spike on D1; tests/support/bubble_world.py): the tool surface
(snapshot, all read-only), the four answers with units on every expected-vs-observed value, paging,
and clear errors for unknown devices, bad windows and a merchant not scored yet."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastmcp import Client
from fastmcp.exceptions import ToolError

from core.auth.principal import DEFAULT_SCOPES, Principal, local_principal
from core.bootstrap import Container, bootstrap
from core.bubble.dimensions import DIMENSIONS, UNITS
from core.bubble.service.scoring import run
from core.db.tables.tenants import Merchant
from servers.bubble import SPEC
from servers.common import build_server
from tests.support.bubble_world import SPIKE, seed, world
from tests.support.pipeline import settings_for

pytestmark = pytest.mark.anyio
D1, STORE = "sq:device:D1", "sq:location:L1"

# The tool-list snapshot: name → sorted arguments. Every tool is read-only, non-destructive, idempotent.
TOOLS: dict[str, list[str]] = {
    "get_device_baseline": ["at", "device_id"],
    "query_device_anomalies": ["cursor", "device_id", "end", "limit", "scope", "start", "store_id"],
    "store_pattern": ["end", "start", "store_id"],
    "baseline_history": ["cursor", "device_id", "limit"],
}


@dataclass(frozen=True)
class Shop:
    container: Container
    merchant_id: str
    unscored: str


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    tmp: Path = tmp_path_factory.mktemp("bubble_tools")
    container = bootstrap(settings_for(f"sqlite:///{tmp / 'canary.db'}", tmp, redis=False))
    try:
        merchant_id = seed(container.db, world())
        run(container.db, merchant_id)
        unscored = "m_bubble_unscored"
        with container.db.tenant(unscored) as s:
            s.add(Merchant(id=unscored, name="Not scored yet"))
        yield Shop(container, merchant_id, unscored)
    finally:
        container.close()


@asynccontextmanager
async def bubble(shop: Shop, merchant_id: str | None = None) -> AsyncIterator[Client[Any]]:
    principal = local_principal(merchant_id or shop.merchant_id, "memory")
    async with Client(build_server(SPEC, container=shop.container, principal=principal)) as client:
        yield client


async def call(client: Client[Any], tool: str, **args: Any) -> Any:
    return (await client.call_tool(tool, args)).structured_content


async def refusal(client: Client[Any], tool: str, **args: Any) -> str:
    with pytest.raises(ToolError) as raised:
        await client.call_tool(tool, args)
    return str(raised.value)


async def test_the_tool_list_is_the_designed_one_and_all_read_only(shop: Shop) -> None:
    async with bubble(shop) as client:
        tools = {t.name: t for t in await client.list_tools()}
    assert {n: sorted(t.input_schema.get("properties", {})) for n, t in tools.items()} == TOOLS
    for tool in tools.values():
        hints = tool.annotations
        assert hints is not None
        assert (hints.read_only_hint, hints.destructive_hint, hints.idempotent_hint) == (True, False, True)
        assert hints.open_world_hint is False
        assert tool.output_schema
        assert tool.output_schema["type"] == "object"
        assert tool.description
        props = tool.input_schema.get("properties", {})
        assert all(p.get("description") for p in props.values()), f"{tool.name} has an undescribed argument"
    build_server(SPEC, container=shop.container, principal=None, read_only=True)  # nothing to hide


async def test_query_device_anomalies_names_void_rate_with_expected_and_observed_voids(shop: Shop) -> None:
    async with bubble(shop) as client:
        page = await call(client, "query_device_anomalies")
        only_store = await call(client, "query_device_anomalies", scope="store")
        before = await call(client, "query_device_anomalies", end="2026-03-10T00:00:00")
    [episode] = page["items"]
    assert (episode["rule_id"], episode["device_id"], episode["store_id"]) == ("A-BUBBLE-DEVICE", D1, STORE)
    assert episode["start"].startswith(SPIKE.isoformat()[:19])
    top = episode["evidence"][0]
    assert (top["dimension"], top["unit"], top["observed"]) == ("void_rate", "voids", 9.0)
    assert top["expected"] < 1.0
    assert all(e["unit"] == UNITS[e["dimension"]] for e in episode["evidence"])
    assert page["next_cursor"] is None
    assert only_store["items"] == []
    assert before["items"] == []


async def test_get_device_baseline_gives_every_dimension_with_its_unit(shop: Shop) -> None:
    async with bubble(shop) as client:
        latest = await call(client, "get_device_baseline", device_id=D1)
        at_spike = await call(client, "get_device_baseline", device_id=D1, at=SPIKE.isoformat())
    assert latest["state"] == "ok"
    assert latest["hours_scored"] == 14 * 12  # the device-hours with activity (twelve a day)
    assert [d["dimension"] for d in latest["dimensions"]] == list(DIMENSIONS)
    assert all(d["unit"] == UNITS[d["dimension"]] for d in latest["dimensions"] + latest["week"])
    assert latest["thresholds"]["source"] == "default"
    assert at_spike["state"] == "anomalous"
    assert at_spike["top_dimension"] == "void_rate"
    voids = {d["dimension"]: d for d in at_spike["dimensions"]}["void_rate"]
    assert voids["observed"] == 9.0
    assert voids["expected"] < 1.0
    network = {d["dimension"]: d for d in at_spike["dimensions"]}["network_events"]
    assert network["expected"] is None  # no telemetry: not scored
    assert network["observed"] is None


async def test_store_pattern_and_baseline_history(shop: Shop) -> None:
    async with bubble(shop) as client:
        pattern = await call(client, "store_pattern", store_id=STORE)
        first = await call(client, "baseline_history", device_id=D1, limit=1)
        rest = await call(client, "baseline_history", device_id=D1, cursor=first["next_cursor"])
    assert [d["device_id"] for d in pattern["devices"]] == [f"sq:device:{n}" for n in ("D1", "D2", "D3")]
    d1 = pattern["devices"][0]
    assert (d1["alerted_hours"], d1["episodes"], d1["top_dimension"]) == (1, 1, "void_rate")
    assert all(d["hours_scored"] > 0 for d in pattern["devices"])
    assert (pattern["shared_alert_hours"], pattern["store_episodes"]) == (0, [])
    kinds = [r["kind"] for r in first["items"] + rest["items"]]
    assert kinds == ["own_history", "history_sufficient"]
    assert rest["next_cursor"] is None


async def test_bad_input_gets_a_clear_error_not_a_traceback(shop: Shop) -> None:
    async with bubble(shop) as client:
        unknown = await refusal(client, "get_device_baseline", device_id="sq:device:NOPE")
        window = await refusal(
            client, "store_pattern", store_id=STORE, start="2026-03-10T00:00:00Z", end="2026-03-01T00:00:00Z"
        )
        cursor = await refusal(client, "baseline_history", device_id=D1, cursor="not-a-cursor")
        store = await refusal(client, "store_pattern", store_id="sq:location:NOPE")
    async with bubble(shop, shop.unscored) as client:
        unscored = await refusal(client, "query_device_anomalies")
    assert "no scored hours for device 'sq:device:NOPE'" in unknown
    assert "end must be after start" in window
    assert "invalid cursor" in cursor
    assert "no scored hours for store" in store
    assert "canary bubble run" in unscored
    assert all("Traceback" not in m for m in (unknown, window, cursor, store, unscored))


async def test_a_store_limited_token_sees_only_its_stores_devices(shop: Shop) -> None:
    """A GM's token (`canary token create --store`): its store's devices as everyone sees them; a
    device or store of another store is unknown to it, as one that does not exist, and nothing of it
    is listed."""

    def gm(*stores: str) -> Principal:
        return Principal(
            shop.merchant_id,
            "gm",
            frozenset(DEFAULT_SCOPES["gm"]),
            "memory",
            "tok_gm",
            stores=frozenset(stores),
        )

    async with bubble(shop) as client:
        everything = await call(client, "query_device_anomalies")
        baseline = await call(client, "get_device_baseline", device_id=D1)
    async with Client(build_server(SPEC, container=shop.container, principal=gm(STORE))) as client:
        assert await call(client, "query_device_anomalies") == everything
        assert await call(client, "get_device_baseline", device_id=D1) == baseline
        assert (await call(client, "store_pattern", store_id=STORE))["devices"]
        assert (await call(client, "baseline_history", device_id=D1))["items"]
    assert everything["items"]
    async with Client(
        build_server(SPEC, container=shop.container, principal=gm("sq:location:ELSEWHERE"))
    ) as client:
        assert (await call(client, "query_device_anomalies"))["items"] == []
        assert (await call(client, "query_device_anomalies", store_id=STORE))["items"] == []
        assert "no scored hours for device" in await refusal(client, "get_device_baseline", device_id=D1)
        assert "no scored hours for store" in await refusal(client, "store_pattern", store_id=STORE)
        assert "no baseline history" in await refusal(client, "baseline_history", device_id=D1)
