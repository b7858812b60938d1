"""canary-identity through an in-memory MCP client, on a small hand-counted SQLite shop
(tests/support/mcp_world.py works out every number asserted here)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from fastmcp import Client
from fastmcp.exceptions import ToolError

from core.auth.principal import DEFAULT_SCOPES, Principal, local_principal
from core.bootstrap import Container, bootstrap
from core.clock import FixedClock
from servers.common import build_server
from servers.identity import SPEC
from tests.support.mcp_world import AS_OF, CLEAN_REASON, SHARED_CARD, Shop, seed_shop
from tests.support.pipeline import settings_for

pytestmark = pytest.mark.anyio

PAGED = ["cursor", "limit"]
EXPECTED_TOOLS = {
    "lookup_customer": ["customer"],
    "lookup_customer_by_card": ["cursor", "fingerprint", "limit"],
    "customer_history": ["cursor", "customer", "limit"],
    "customer_metrics": ["customer"],
    "customer_segments": [
        "as_of",
        "cursor",
        "customer",
        "lapsed_days",
        "limit",
        "members_of",
        "new_days",
        "regular_min_purchases",
    ],
    "customer_complaints": ["cursor", "customer", "limit"],
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Container, Shop]]:
    """One shop for the module: every tool is read-only, so no test can disturb another."""
    tmp_path = tmp_path_factory.mktemp("identity")
    container = bootstrap(
        settings_for(f"sqlite:///{tmp_path / 'canary.db'}", tmp_path, redis=False), clock=FixedClock(AS_OF)
    )
    try:
        yield container, seed_shop(container.db)
    finally:
        container.close()


@asynccontextmanager
async def identity(container: Container, merchant_id: str | None) -> AsyncIterator[Client[Any]]:
    principal = local_principal(merchant_id, "memory") if merchant_id else None
    async with Client(build_server(SPEC, container=container, principal=principal)) as client:
        yield client


async def call(client: Client[Any], tool: str, **args: Any) -> Any:
    return (await client.call_tool(tool, args)).structured_content


async def test_the_tool_list_is_the_designed_one_all_read_only_with_typed_results(
    shop: tuple[Container, Shop],
) -> None:
    container, s = shop
    async with identity(container, s.merchant_id) as client:
        tools = {t.name: t for t in await client.list_tools()}
    assert {n: sorted(t.input_schema["properties"]) for n, t in tools.items()} == EXPECTED_TOOLS
    for tool in tools.values():
        hints = tool.annotations
        assert hints is not None
        assert (hints.read_only_hint, hints.destructive_hint, hints.idempotent_hint) == (True, False, True)
        assert hints.open_world_hint is False
        assert tool.output_schema
        assert tool.output_schema["type"] == "object"
        assert tool.description
        assert "cents" in tool.description or "UTC" in tool.description
        props = tool.input_schema["properties"]
        assert all(p.get("description") for p in props.values()), f"{tool.name} has an undescribed argument"
        if "limit" in props:
            assert (props["limit"]["minimum"], props["limit"]["maximum"]) == (1, 100)


async def test_lookup_customer_matches_canonical_or_vendor_id_and_says_when_nobody_matches(
    shop: tuple[Container, Shop],
) -> None:
    container, s = shop
    async with identity(container, s.merchant_id) as client:
        by_id = await call(client, "lookup_customer", customer=s.alice)
        by_vendor = await call(client, "lookup_customer", customer=s.alice.rsplit(":", 1)[1])
        missing = await call(client, "lookup_customer", customer="sq:customer:NOBODY")
    assert by_id["found"]
    assert by_id["matched_on"] == "customer_id"
    assert by_id["customer"]["lifetime_value_net_cents"] == 12_500
    assert by_vendor["matched_on"] == "vendor_customer_id"
    assert by_vendor["customer"]["customer_id"] == s.alice
    assert missing == {
        "found": False,
        "matched_on": None,
        "customer": None,
        "message": "No customer 'sq:customer:NOBODY' for this merchant.",
    }


async def test_a_customer_number_passed_as_a_number_is_taken_as_written(shop: tuple[Container, Shop]) -> None:
    """Counterpoint customer numbers are numbers (``customer=6008``): taken as "6008", not refused as
    "not a valid string"; a boolean is still no customer."""
    container, s = shop
    async with identity(container, s.merchant_id) as client:
        lookup = await call(client, "lookup_customer", customer=6008)
        with pytest.raises(ToolError) as segments:
            await call(client, "customer_segments", customer=6008)
        with pytest.raises(ToolError) as metrics:
            await call(client, "customer_metrics", customer=6008)
        with pytest.raises(ToolError) as boolean:
            await call(client, "lookup_customer", customer=True)
    assert lookup == {
        "found": False,
        "matched_on": None,
        "customer": None,
        "message": "No customer '6008' for this merchant.",
    }
    for refused in (segments, metrics):  # looked up as the string "6008", which names nobody here
        assert "No customer '6008'" in str(refused.value)
        assert "valid string" not in str(refused.value)
    assert "customer" in str(boolean.value)


async def test_customer_metrics_gives_the_hand_counted_figures(shop: tuple[Container, Shop]) -> None:
    container, s = shop
    async with identity(container, s.merchant_id) as client:
        metrics = await call(client, "customer_metrics", customer=s.alice)
        with pytest.raises(ToolError, match="No customer 'sq:customer:NOBODY'"):
            await client.call_tool("customer_metrics", {"customer": "sq:customer:NOBODY"})
    assert {k: metrics[k] for k in metrics if k != "definition"} == {
        "customer_id": s.alice,
        "status": "active",
        "currency": "USD",
        "lifetime_value_gross_cents": 15_000,
        "refunds_cents": 2_500,
        "lifetime_value_net_cents": 12_500,
        "transaction_count": 2,
        "refund_count": 1,
        "average_ticket_cents": 7_500,
        "first_seen_at": "2026-11-01T10:00:00Z",
        "last_seen_at": "2026-11-15T10:00:00Z",
        "days_since_last_seen": 15,  # 15 days 14 hours
    }


async def test_a_shared_card_lists_its_customers_page_by_page(shop: tuple[Container, Shop]) -> None:
    container, s = shop
    async with identity(container, s.merchant_id) as client:
        first = await call(client, "lookup_customer_by_card", fingerprint=SHARED_CARD, limit=1)
        second = await call(
            client, "lookup_customer_by_card", fingerprint=SHARED_CARD, limit=1, cursor=first["next_cursor"]
        )
        unknown = await call(client, "lookup_customer_by_card", fingerprint="fp-never-seen")
    card = first["card"]
    assert (card["use_count"], card["customer_count"], first["anonymous_uses"]) == (3, 2, 1)
    assert [c["customer_id"] for c in first["customers"]] == [s.alice]
    assert [c["customer_id"] for c in second["customers"]] == [s.bob]
    assert first["next_cursor"]
    assert second["next_cursor"] is None
    assert (unknown["found"], unknown["customers"]) == (False, [])


async def test_history_is_newest_first_with_line_items_and_pages_with_a_cursor(
    shop: tuple[Container, Shop],
) -> None:
    container, s = shop
    async with identity(container, s.merchant_id) as client:
        first = await call(client, "customer_history", customer=s.alice, limit=2)
        rest = await call(client, "customer_history", customer=s.alice, limit=2, cursor=first["next_cursor"])
    page1 = [(t["type"], t["amount_cents"]) for t in first["transactions"]]
    assert page1 == [("REFUND", 2_500), ("SALE", 5_000)]
    assert [(t["type"], t["amount_cents"]) for t in rest["transactions"]] == [("SALE", 10_000)]
    assert rest["next_cursor"] is None
    lines = rest["transactions"][0]["line_items"]
    assert [(li["line_no"], li["extended_price_cents"]) for li in lines] == [("1", 5_000), ("2", 5_000)]
    assert rest["transactions"][0]["tenders"][0]["card_fingerprint"] == SHARED_CARD


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"limit": 0}, "invalid arguments: limit: Input should be greater than or equal to 1"),
        ({"limit": 1000}, "invalid arguments: limit: Input should be less than or equal to 100"),
        ({"cursor": "not-a-cursor"}, "cursor is not one this tool returned; omit it"),
        ({"cursor": "x" * 600}, "invalid arguments: cursor: String should have at most 512 characters"),
    ],
)
async def test_bad_paging_arguments_are_refused_with_a_message_that_says_what_to_change(
    shop: tuple[Container, Shop], args: dict[str, Any], message: str
) -> None:
    container, s = shop
    async with identity(container, s.merchant_id) as client:
        result = await client.call_tool(
            "customer_history", {"customer": s.alice, **args}, raise_on_error=False
        )
    assert result.is_error
    assert message in result.content[0].text  # type: ignore[union-attr]


async def test_a_cursor_from_another_list_is_refused(shop: tuple[Container, Shop]) -> None:
    container, s = shop
    async with identity(container, s.merchant_id) as client:
        page = await call(client, "lookup_customer_by_card", fingerprint=SHARED_CARD, limit=1)
        with pytest.raises(ToolError, match="cursor belongs to another list"):
            await client.call_tool("customer_history", {"customer": s.alice, "cursor": page["next_cursor"]})


async def test_segments_state_their_thresholds_count_each_segment_and_attrition(
    shop: tuple[Container, Shop],
) -> None:
    container, s = shop
    async with identity(container, s.merchant_id) as client:
        report = await call(client, "customer_segments", customer=s.alice)
        lapsed = await call(client, "customer_segments", members_of="lapsed")
        tighter = await call(client, "customer_segments", customer=s.alice, new_days=10)
    assert report["as_of"] == "2026-12-01T00:00:00Z"
    assert report["thresholds"] == {"new_days": 30, "lapsed_days": 90, "regular_min_purchases": 2}
    assert {x["segment"]: x["customers"] for x in report["segments"]} == {
        "new": 1,
        "regular": 1,
        "one-off": 0,
        "lapsed": 1,
    }
    assert all(x["definition"] for x in report["segments"])
    assert (report["attrition"]["established_customers"], report["attrition"]["rate"]) == (2, 0.5)
    assert report["customer_segment"] == "new"
    assert [m["customer_id"] for m in lapsed["members"]] == [s.bob]
    assert tighter["customer_segment"] == "regular"  # first seen 30 days ago is not new within 10
    assert tighter["thresholds"]["new_days"] == 10


async def test_refund_reasons_and_item_text_come_back_without_escapes_or_direction_overrides(
    shop: tuple[Container, Shop],
) -> None:
    container, s = shop
    async with identity(container, s.merchant_id) as client:
        complaints = await call(client, "customer_complaints", customer=s.alice)
        history = await call(client, "customer_history", customer=s.alice)
        everyone = await call(client, "customer_complaints")
    mine = complaints["customers"][0]
    assert (mine["refund_count"], mine["refunds_cents"]) == (1, 2_500)
    assert mine["reasons"][0]["reason"] == CLEAN_REASON
    assert mine["recent_refunds"][0]["transaction_id"] == s.refund_id
    assert history["transactions"][0]["reason"] == CLEAN_REASON
    assert history["transactions"][0]["line_items"][0]["description"] == "Fern pot"
    assert [c["customer_id"] for c in everyone["customers"]] == [s.alice]
    for answer in (complaints, history, everyone):
        text = json.dumps(answer, ensure_ascii=False)
        assert "\x1b" not in text
        assert "\u202e" not in text
        assert "\u202c" not in text


async def test_a_server_with_no_merchant_refuses_every_call(shop: tuple[Container, Shop]) -> None:
    container, s = shop  # the container's settings name no CANARY_MERCHANT_ID
    async with identity(container, None) as client:
        with pytest.raises(ToolError, match="no merchant: set CANARY_MERCHANT_ID"):
            await client.call_tool("customer_metrics", {"customer": s.alice})


async def test_an_unexpected_failure_is_masked_and_leaks_nothing(
    shop: tuple[Container, Shop], monkeypatch: pytest.MonkeyPatch
) -> None:
    container, s = shop

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise ValueError("password=hunter2 at db.internal:5432")  # a ValueError, but not one of R's

    monkeypatch.setattr(container.identity, "customer_metrics", broken)
    async with identity(container, s.merchant_id) as client:
        result = await client.call_tool("customer_metrics", {"customer": s.alice}, raise_on_error=False)
    assert result.is_error
    text = result.content[0].text  # type: ignore[union-attr]
    assert "hunter2" not in text
    assert "db.internal" not in text
    assert "customer_metrics" in text


L1, L2 = "sq:location:L1", "sq:location:L2"


@pytest.fixture(scope="module")
def two_stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Container, Shop]]:
    """The shop with Bob's sale and Carol's latest at L2, every other transaction at L1."""
    tmp_path = tmp_path_factory.mktemp("identity_stores")
    container = bootstrap(
        settings_for(f"sqlite:///{tmp_path / 'canary.db'}", tmp_path, redis=False), clock=FixedClock(AS_OF)
    )
    try:
        yield container, seed_shop(container.db, elsewhere=L2)
    finally:
        container.close()


@asynccontextmanager
async def gm_of(container: Container, merchant_id: str, *stores: str) -> AsyncIterator[Client[Any]]:
    principal = Principal(
        merchant_id, "gm", frozenset(DEFAULT_SCOPES["gm"]), "memory", "tok_gm", stores=frozenset(stores)
    )
    async with Client(build_server(SPEC, container=container, principal=principal)) as client:
        yield client


async def test_a_store_limited_token_sees_only_customers_of_its_stores_and_their_figures_there(
    two_stores: tuple[Container, Shop],
) -> None:
    container, s = two_stores
    async with gm_of(container, s.merchant_id, L1) as client:
        assert (await call(client, "lookup_customer", customer=s.bob))["found"] is False  # only at L2
        for tool in ("customer_metrics", "customer_history"):
            with pytest.raises(ToolError, match=f"No customer '{s.bob}'"):
                await client.call_tool(tool, {"customer": s.bob})
        carol = (await call(client, "lookup_customer", customer=s.carol))["customer"]
        metrics = await call(client, "customer_metrics", customer=s.carol)
        history = await call(client, "customer_history", customer=s.carol)
        alice = await call(client, "customer_metrics", customer=s.alice)
        complaints = await call(client, "customer_complaints", customer=s.alice)
        refused = {
            tool: (await client.call_tool(tool, args, raise_on_error=False)).content[0].text  # type: ignore[union-attr]
            for tool, args in (
                ("customer_complaints", {}),
                ("customer_segments", {}),
                ("lookup_customer_by_card", {"fingerprint": SHARED_CARD}),
            )
        }
    # Carol at L1: her May sale only, not November's at L2.
    assert (carol["transaction_count"], carol["lifetime_value_gross_cents"]) == (1, 3_000)
    assert carol["last_seen_at"] == "2026-05-01T10:00:00Z"
    assert (metrics["transaction_count"], metrics["lifetime_value_gross_cents"]) == (1, 3_000)
    assert metrics["last_seen_at"] == "2026-05-01T10:00:00Z"
    assert [(t["location_id"], t["amount_cents"]) for t in history["transactions"]] == [(L1, 3_000)]
    # Alice shops only at L1: the same figures as the merchant-wide ones.
    assert (alice["lifetime_value_gross_cents"], alice["refunds_cents"], alice["transaction_count"]) == (
        15_000,
        2_500,
        2,
    )
    assert complaints["customers"][0]["refund_count"] == 1
    for tool, text in refused.items():
        assert "limited to" in text, tool
        assert "Traceback" not in text
    async with gm_of(container, s.merchant_id, L2) as client:
        assert (await call(client, "lookup_customer", customer=s.alice))["found"] is False
        carol_there = await call(client, "customer_metrics", customer=s.carol)
        with pytest.raises(ToolError, match=f"No customer '{s.alice}'"):
            await client.call_tool("customer_complaints", {"customer": s.alice})
    assert (carol_there["transaction_count"], carol_there["lifetime_value_gross_cents"]) == (1, 4_000)
    async with identity(container, s.merchant_id) as client:  # every store: Carol's both sales
        assert (await call(client, "customer_metrics", customer=s.carol))["transaction_count"] == 2
