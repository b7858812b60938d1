"""canary-tsp-ops through an in-memory MCP client, on an embedded Canary that ingested real Square
webhook samples through the whole pipeline: four payments (parsed) and two bodies that are not JSON
(sealed, then failed), in two seal batches, so two signed checkpoints (sizes 3 and 6)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastmcp import Client
from fastmcp.exceptions import ToolError
from sqlmodel import select

from core.auth.principal import DEFAULT_SCOPES, Principal, local_principal
from core.bootstrap import Container
from core.db.tables.ledger import EvidenceRecord, InboxEntry
from core.ledger import merkle
from core.ledger.checkpoint import open_checkpoint
from core.pipeline.workers import drain
from servers.common import build_server
from servers.tsp_ops import SPEC
from tests.support.pipeline import new_merchant, post, running_canary, settings_for, webhook

pytestmark = pytest.mark.anyio

EXPECTED_TOOLS = {
    "pipeline_health": [],
    "ingestion_status": ["inbox_id", "seq", "source_event_id"],
    "list_parse_failures": ["cursor", "limit"],
    "verify_chain": ["from_seq", "to_seq"],
    "get_inclusion_proof": ["seq", "tree_size"],
    "get_consistency_proof": ["new_size", "old_size"],
    "anchor_status": ["tree_size"],
    "replay_event": ["seq"],
}
READ_TOOLS = set(EXPECTED_TOOLS) - {"replay_event"}


@dataclass(frozen=True)
class Shop:
    container: Container
    merchant_id: str
    url: str
    client: Any
    event_ids: list[str]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    tmp_path: Path = tmp_path_factory.mktemp("tsp_ops")
    settings = settings_for(
        f"sqlite:///{tmp_path / 'canary.db'}", tmp_path, redis=False, witness_dir=tmp_path / "witness"
    )
    with running_canary(settings) as (container, client):
        merchant, url = new_merchant(container)
        ids = [f"evt-ops-{i}" for i in range(4)]
        for batch in ((ids[0], ids[1], None), (ids[2], None, ids[3])):  # None: a body that is not JSON
            for event_id in batch:
                body = webhook("payment.created", event_id=event_id) if event_id else b"not json {"
                assert post(client, url, body).status_code == 200
            drain(container.pipeline)
        yield Shop(container, merchant, url, client, ids)


@asynccontextmanager
async def ops(
    container: Container, principal: Principal | None, *, read_only: bool = False
) -> AsyncIterator[Client[Any]]:
    server = build_server(SPEC, container=container, principal=principal, read_only=read_only)
    async with Client(server) as client:
        yield client


def ops_principal(merchant_id: str) -> Principal:
    return local_principal(merchant_id, "memory")


async def call(client: Client[Any], tool: str, **args: Any) -> Any:
    return (await client.call_tool(tool, args)).structured_content


async def test_the_tool_list_is_the_designed_one_and_only_replay_writes(shop: Shop) -> None:
    async with ops(shop.container, ops_principal(shop.merchant_id)) as client:
        tools = {t.name: t for t in await client.list_tools()}
    assert {n: sorted(t.input_schema.get("properties", {})) for n, t in tools.items()} == EXPECTED_TOOLS
    for tool in tools.values():
        hints = tool.annotations
        assert hints is not None
        expected = (True, False, True) if tool.name in READ_TOOLS else (False, False, True)
        assert (hints.read_only_hint, hints.destructive_hint, hints.idempotent_hint) == expected, tool.name
        assert hints.open_world_hint is False
        assert tool.output_schema
        assert tool.output_schema["type"] == "object"
        assert tool.description
        props = tool.input_schema.get("properties", {})
        assert all(p.get("description") for p in props.values()), f"{tool.name} has an undescribed argument"
    assert tools["replay_event"].meta is None or "write" in json.dumps(tools["replay_event"].meta)


async def test_pipeline_health_counts_this_merchants_events_and_every_stage(shop: Shop) -> None:
    async with ops(shop.container, ops_principal(shop.merchant_id)) as client:
        health = await call(client, "pipeline_health")
    assert [s["stage"] for s in health["stages"]] == ["seal", "parse", "customers", "chirp", "bubble", "fox"]
    assert all(s["pending"] == 0 and s["dead_letters"] == 0 for s in health["stages"])
    assert (health["sealed_events"], health["unsealed_inbox"], health["oldest_unsealed_at"]) == (6, 0, None)
    assert (health["parsed"], health["failed"], health["unparsed"]) == (4, 2, 0)
    assert health["parse_failure_rate"] == pytest.approx(2 / 6, abs=1e-6)


async def test_ingestion_status_follows_one_event_from_receipt_to_the_consumers(shop: Shop) -> None:
    async with ops(shop.container, ops_principal(shop.merchant_id)) as client:
        by_vendor = await call(client, "ingestion_status", source_event_id=shop.event_ids[2])
        by_seq = await call(client, "ingestion_status", seq=by_vendor["seal"]["seq"])
        by_inbox = await call(client, "ingestion_status", inbox_id=by_vendor["inbox"]["inbox_id"])
        failed = await call(client, "ingestion_status", seq=3)
        missing = await call(client, "ingestion_status", seq=999)
        with pytest.raises(ToolError, match="exactly one of seq, inbox_id or source_event_id"):
            await client.call_tool("ingestion_status", {"seq": 1, "inbox_id": "x"})
    assert by_vendor == by_seq == by_inbox
    assert by_vendor["stage"] == "consumed"
    seal = by_vendor["seal"]
    assert (seal["seq"], seal["leaf_index"], seal["checkpoint_size"], seal["anchor_state"]) == (
        4,
        3,
        6,
        "confirmed",
    )
    assert by_vendor["inbox"]["source"] == "SQUARE"
    assert by_vendor["parse"]["status"] == "parsed"
    assert by_vendor["downstream"]["consumed_by"]  # the consumers of canary:detection applied it
    assert by_vendor["parse"]["records"] >= 1
    assert (failed["stage"], failed["seal"]["checkpoint_size"]) == ("failed", 3)
    assert "JSON" in failed["parse"]["reason"]
    assert (missing["found"], missing["stage"]) == (False, "unknown")


async def test_parse_failures_come_page_by_page_with_error_and_parser_version(shop: Shop) -> None:
    async with ops(shop.container, ops_principal(shop.merchant_id)) as client:
        first = await call(client, "list_parse_failures", limit=1)
        second = await call(client, "list_parse_failures", limit=1, cursor=first["next_cursor"])
        with pytest.raises(ToolError, match="omit it"):
            await client.call_tool("list_parse_failures", {"cursor": "bm90IGEgY3Vyc29y"})
        with pytest.raises(ToolError, match="limit"):
            await client.call_tool("list_parse_failures", {"limit": 0})
    assert [f["seq"] for f in first["items"]] == [3]
    assert [f["seq"] for f in second["items"]] == [5]
    assert second["next_cursor"] is None
    assert first["total_failed"] == 2
    item = first["items"][0]
    assert item["parser_version"] == first["current_parser_version"]
    assert "JSON" in item["reason"]
    assert item["attempts"] >= 1


async def test_verify_chain_checks_a_bounded_range_and_names_the_first_bad_position(shop: Shop) -> None:
    container = shop.container
    async with ops(container, ops_principal(shop.merchant_id)) as client:
        whole = await call(client, "verify_chain")
        tail = await call(client, "verify_chain", from_seq=4, to_seq=6)
        with pytest.raises(ToolError, match="before from_seq"):
            await client.call_tool("verify_chain", {"from_seq": 5, "to_seq": 2})
    assert whole["ok"], whole["problems"]
    assert (whole["from_seq"], whole["to_seq"], whole["log_size"], whole["records_checked"]) == (1, 6, 6, 6)
    assert (whole["payloads_checked"], whole["checkpoints_checked"]) == (6, 2)
    assert whole["nodes_checked"] > 6  # the leaves and the interior nodes inside the range
    assert (tail["ok"], tail["records_checked"], tail["checkpoints_checked"]) == (True, 3, 1)

    # A second merchant whose ledger is altered at seq 2: the range that holds it says so.
    merchant, url = new_merchant(container)
    for i in range(4):
        post(shop.client, url, webhook("payment.created", event_id=f"evt-tamper-{i}"))
    drain(container.pipeline)
    with container.db.tenant(merchant) as s:
        row = s.exec(
            select(EvidenceRecord).where(EvidenceRecord.merchant_id == merchant, EvidenceRecord.seq == 2)
        ).one()
        row.event_hash = bytes(32)
        s.add(row)
    async with ops(container, ops_principal(merchant)) as client:
        bad = await call(client, "verify_chain")
        after = await call(client, "verify_chain", from_seq=3)
    assert (bad["ok"], bad["first_bad_seq"]) == (False, 2)
    assert "seq 2" in bad["problems"][0]
    assert after["ok"]  # links before from_seq are taken as given: bounded, and says so
    assert "taken as given" in after["note"]


async def test_proofs_verify_with_the_rfc_6962_functions_and_the_published_key(shop: Shop) -> None:
    async with ops(shop.container, ops_principal(shop.merchant_id)) as client:
        inclusion = await call(client, "get_inclusion_proof", seq=2)
        older = await call(client, "get_inclusion_proof", seq=2, tree_size=3)
        consistency = await call(client, "get_consistency_proof", old_size=3)
        with pytest.raises(ToolError, match="no sealed event 99"):
            await client.call_tool("get_inclusion_proof", {"seq": 99})
        with pytest.raises(ToolError, match="no checkpoint of size 4"):
            await client.call_tool("get_consistency_proof", {"old_size": 4})
    import base64

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(inclusion["public_key"]))
    for receipt in (inclusion, older):
        signed = open_checkpoint(receipt["checkpoint_note"], key, receipt["key_name"])
        assert signed.size == receipt["tree_size"]
        assert signed.root.hex() == receipt["root"]
        assert merkle.verify_inclusion(
            bytes.fromhex(receipt["event_hash"]),
            receipt["leaf_index"],
            receipt["tree_size"],
            [bytes.fromhex(p) for p in receipt["proof"]],
            signed.root,
        )
    assert (inclusion["tree_size"], older["tree_size"]) == (6, 3)
    assert (consistency["old_size"], consistency["new_size"]) == (3, 6)
    assert merkle.verify_consistency(
        3,
        6,
        bytes.fromhex(consistency["old_root"]),
        bytes.fromhex(consistency["new_root"]),
        [bytes.fromhex(p) for p in consistency["proof"]],
    )


async def test_anchor_status_reports_states_and_the_witness(shop: Shop) -> None:
    async with ops(shop.container, ops_principal(shop.merchant_id)) as client:
        newest = await call(client, "anchor_status")
        first = await call(client, "anchor_status", tree_size=3)
        with pytest.raises(ToolError, match="no checkpoint of size 4"):
            await client.call_tool("anchor_status", {"tree_size": 4})
    assert (newest["checkpoints"], newest["by_state"], newest["latest_confirmed_size"]) == (
        2,
        {"confirmed": 2},
        6,
    )
    assert newest["witnessed_size"] == 6
    assert newest["oldest_unconfirmed_at"] is None
    assert (newest["checkpoint"]["tree_size"], newest["checkpoint"]["anchor"]) == (6, "mock")
    assert first["checkpoint"]["tree_size"] == 3


async def test_replay_event_reparses_idempotently_and_never_reseals(shop: Shop) -> None:
    container = shop.container
    with container.db.tenant(shop.merchant_id) as s:
        chain_before = [
            e.chain_hash
            for e in s.exec(
                select(EvidenceRecord).where(EvidenceRecord.merchant_id == shop.merchant_id)
            ).all()
        ]
    async with ops(container, ops_principal(shop.merchant_id)) as client:
        once = await call(client, "replay_event", seq=1)
        twice = await call(client, "replay_event", seq=1)
        failed = await call(client, "replay_event", seq=3)
        with pytest.raises(ToolError, match="no sealed event 999"):
            await client.call_tool("replay_event", {"seq": 999})
        health = await call(client, "pipeline_health")
    assert (once["previous"]["status"], once["current"]["status"], once["parsed"]) == ("parsed", "parsed", 1)
    assert twice["current"]["attempts"] == once["current"]["attempts"] + 1
    assert {k: v for k, v in twice["current"].items() if k not in ("attempts", "updated_at")} == {
        k: v for k, v in once["current"].items() if k not in ("attempts", "updated_at")
    }
    assert (failed["current"]["status"], failed["failed"]) == ("failed", 1)
    assert health["sealed_events"] == 6  # parse-only: nothing sealed again
    with container.db.tenant(shop.merchant_id) as s:
        chain_after = [
            e.chain_hash
            for e in s.exec(
                select(EvidenceRecord).where(EvidenceRecord.merchant_id == shop.merchant_id)
            ).all()
        ]
        inbox = s.exec(select(InboxEntry).where(InboxEntry.merchant_id == shop.merchant_id)).all()
    assert chain_after == chain_before
    assert len(inbox) == 6


async def test_replay_event_is_refused_for_an_analyst_and_absent_in_read_only_mode(shop: Shop) -> None:
    analyst = Principal(shop.merchant_id, "analyst", frozenset(DEFAULT_SCOPES["analyst"]), "memory", "tok_an")
    async with ops(shop.container, analyst) as client:
        with pytest.raises(ToolError, match="needs the 'pipeline:write' scope; this analyst's token has"):
            await client.call_tool("replay_event", {"seq": 1})
        assert (await call(client, "pipeline_health"))["sealed_events"] == 6  # reads still work
    async with ops(shop.container, ops_principal(shop.merchant_id), read_only=True) as client:
        names = {t.name for t in await client.list_tools()}
        with pytest.raises(ToolError):
            await client.call_tool("replay_event", {"seq": 1})
    assert names == READ_TOOLS


async def test_without_a_merchant_every_tool_refuses(shop: Shop) -> None:
    async with ops(shop.container, None) as client:
        with pytest.raises(ToolError, match="no merchant"):
            await client.call_tool("pipeline_health", {})


async def test_metrics_carry_the_figures_pipeline_health_reports(shop: Shop) -> None:
    async with ops(shop.container, ops_principal(shop.merchant_id)) as client:
        health = await call(client, "pipeline_health")
    metrics = shop.client.get("/metrics").text.splitlines()
    for stage in health["stages"]:
        name = stage["stage"]
        assert f'canary_stream_pending{{stage="{name}"}} {stage["pending"]}' in metrics
        assert f'canary_stream_dead_letters{{stage="{name}"}} {stage["dead_letters"]}' in metrics
        assert any(
            line.startswith(f'canary_stream_oldest_pending_idle_seconds{{stage="{name}"}}')
            for line in metrics
        )
    # The merchant figures are summed over the deployment's merchants (another test adds one).
    overall = shop.container.health.report()
    rate = next(line for line in metrics if line.startswith("canary_parse_failure_rate "))
    assert float(rate.split()[1]) == pytest.approx(overall.parse_failure_rate, abs=1e-6)
    assert overall.failed >= health["failed"] == 2
    unparsed = overall.sealed_events - overall.parsed - overall.ignored - overall.failed
    assert f"canary_unparsed_events {unparsed}" in metrics
