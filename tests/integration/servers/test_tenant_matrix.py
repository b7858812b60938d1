"""The tenant matrix: every tool of every server in ``servers/registry.py`` (today's and the ones to
come), called over HTTP with merchant A's token on merchant B's ids, on Postgres as the application
role (row-level security underneath). Each answer — result or error — must hold nothing of B's, and
B's rows must be the same afterwards. A tool without a case in ``tests/support/tenant_cases.py``
fails ``test_every_registered_tool_has_a_tenant_case``."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from fastmcp import Client
from fastmcp.client.transports import StreamableHttpTransport
from fastmcp.exceptions import ToolError

from core.auth.principal import SCOPES
from core.bootstrap import Container, bootstrap
from core.bubble.service.scoring import run as score_bubble
from core.cases.domain.model import Alert, Severity
from core.ingest.inbox import IncomingEvent
from core.pipeline.workers import drain
from core.simulate.canonical import L, at, square_txn
from core.web.app import create_app
from servers.registry import available
from tests.support.bubble_world import seed as seed_device_hours
from tests.support.bubble_world import world as device_world
from tests.support.mcp_http import serving
from tests.support.mcp_world import seed_shop
from tests.support.pipeline import settings_for, webhook
from tests.support.tenant_cases import CASES, TenantB

pytestmark = [pytest.mark.postgres, pytest.mark.anyio]


@dataclass(frozen=True)
class Matrix:
    base: str
    container: Container
    token_a: str
    token_b: str
    b: TenantB


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@asynccontextmanager
async def holding(base: str, server: str, token: str) -> AsyncIterator[Client[Any]]:
    async with Client(StreamableHttpTransport(f"{base}/mcp/{server}", auth=token)) as client:
        yield client


def _voids(merchant_id: str, tag: str) -> list[Any]:
    """Three voids by one employee ten minutes apart: Q-VR-03 clusters them into a detection."""
    events = [square_txn(f"v{i}{tag}", at(10 * i), [L(f"ITEM{tag}", 800)], type="VOID") for i in range(3)]
    return [
        e.model_copy(update={"merchant_id": merchant_id, "evidence_seq": 100 + i})
        for i, e in enumerate(events)
    ]


async def _seed_b_rules(
    base: str, container: Container, token_b: str, merchant_b: str, tag: str
) -> dict[str, str]:
    secret = f"B-only reason {tag}"
    async with holding(base, "chirp", token_b) as client:
        await client.call_tool(
            "promote_rule", {"rule_id": "Q-VR-03", "mode": "observation", "reason": secret, "force": True}
        )
        container.chirp_stage.process(merchant_b, _voids(merchant_b, tag))
        [found] = (await client.call_tool("query_detections", {"rule_id": "Q-VR-03"})).structured_content[
            "items"
        ]
        entry = (
            await client.call_tool(
                "add_allow_list_entry",
                {
                    "rule_id": "Q-VR-03",
                    "scope": {"employee": found["employee_id"]},
                    "reason": secret,
                    "expires_in_days": 30,
                },
            )
        ).structured_content
    # B's detection as an alert through the fox consumer: B's case
    alert = Alert(
        detection_id=found["detection_id"],
        rule_id="Q-VR-03",
        family="void_return",
        severity=Severity(found["severity"]),
        queue="fraud",
        occurred_at=datetime.fromisoformat(found["occurred_at"]),
        employee_id=found["employee_id"],
        location_id=found.get("location_id") or "",
    )
    container.fox_stage.process(merchant_b, [alert])
    [case] = container.fox_service.top_cases(merchant_b).items
    return {
        "detection_id": found["detection_id"],
        "employee_id": found["employee_id"],
        "entry_id": entry["entry_id"],
        "secret": secret,
        "case_id": case.case_id,
    }


def _seed_ledger(container: Container, merchant_id: str, tag: str) -> tuple[str, str]:
    """Three sealed events (a payment, a body that fails to parse, a payment) and their checkpoints
    (sizes 2 and 3); returns the first one's vendor event id and event hash."""
    batches = [
        [
            (f"evt-{tag}-1", webhook("payment.created", event_id=f"evt-{tag}-1")),
            (None, b"not json " + tag.encode()),
        ],
        [(f"evt-{tag}-2", webhook("payment.created", event_id=f"evt-{tag}-2"))],
    ]
    first = None
    for batch in batches:
        for event_id, raw in batch:
            done = container.inbox.accept(
                IncomingEvent(merchant_id, "SQUARE", "WEBHOOK", raw, event_id, "payment.created")
            )
            first = first or (event_id, done.event_hash)
        drain(container.pipeline)
    assert first is not None
    assert first[0] is not None
    return first[0], first[1]


@pytest.fixture(scope="module")
def matrix(postgres_urls: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    import anyio

    _admin, app_url = postgres_urls
    container = bootstrap(settings_for(app_url, tmp_path_factory.mktemp("tenants"), redis=False))
    try:
        tag = f"TB{uuid.uuid4().hex[:6].upper()}"
        a_id = seed_shop(container.db).merchant_id  # A has a shop too: "nothing of B's" ≠ "nothing"
        shop_b = seed_shop(container.db, tag=tag)
        _seed_ledger(container, a_id, "TA" + tag[2:])
        event_id, event_hash = _seed_ledger(container, shop_b.merchant_id, tag)
        # Bubble: both score a store of three registers; B's ids carry B's tag, A's are its own.
        store_b = f"sq:location:{tag}"
        seed_device_hours(container.db, device_world(f"sq:location:TA{tag[2:]}", "sq:device:A-"), a_id)
        seed_device_hours(container.db, device_world(store_b, f"sq:device:{tag}-"), shop_b.merchant_id)
        for merchant_id in (a_id, shop_b.merchant_id):
            score_bubble(container.db, merchant_id)
        token_a = container.tokens.create(a_id, "ops", list(SCOPES)).token
        token_b = container.tokens.create(shop_b.merchant_id, "operator").token
        with serving(create_app(container)) as base:
            chirp_b = anyio.run(_seed_b_rules, base, container, token_b, shop_b.merchant_id, tag)
            b = TenantB(
                merchant_id=shop_b.merchant_id,
                tag=tag,
                alice=shop_b.alice,
                bob=shop_b.bob,
                carol=shop_b.carol,
                refund_id=shop_b.refund_id,
                event_id=event_id,
                event_hash=event_hash,
                device_id=f"sq:device:{tag}-D1",
                store_id=store_b,
                **chirp_b,
            )
            yield Matrix(base, container, token_a, token_b, b)
    finally:
        container.close()


async def _tools(base: str, token: str) -> dict[str, list[str]]:
    tools: dict[str, list[str]] = {}
    for server in available():
        async with holding(base, server, token) as client:
            tools[server] = sorted(t.name for t in await client.list_tools())
    return tools


async def _b_state(m: Matrix) -> str:
    """What B sees of its own rows, through its own token: must not change while A calls."""
    state: dict[str, Any] = {}
    async with holding(m.base, "chirp", m.token_b) as client:
        for tool, args in (("get_rule", {"rule_id": "Q-VR-03"}), ("query_detections", {}), ("audit_log", {})):
            state[tool] = (await client.call_tool(tool, args)).structured_content
    async with holding(m.base, "fox", m.token_b) as client:
        state["case"] = (await client.call_tool("get_case", {"case_id": m.b.case_id})).structured_content
        state["policies"] = [
            p.model_dump() for p in m.container.fox_service.bundling_policies(m.b.merchant_id)
        ]
    async with holding(m.base, "identity", m.token_b) as client:
        state["metrics"] = (
            await client.call_tool("customer_metrics", {"customer": m.b.alice})
        ).structured_content
    async with holding(m.base, "tsp-ops", m.token_b) as client:
        for tool, args in (
            ("ingestion_status", {"source_event_id": m.b.event_id}),
            ("list_parse_failures", {}),
        ):
            state[tool] = (await client.call_tool(tool, args)).structured_content
    async with holding(m.base, "bubble", m.token_b) as client:
        for tool, args in (
            ("query_device_anomalies", {}),
            ("get_device_baseline", {"device_id": m.b.device_id}),
            ("baseline_history", {"device_id": m.b.device_id}),
        ):
            state[tool] = (await client.call_tool(tool, args)).structured_content
    state["allow_list"] = [
        (e.entry_id, e.status) for e in m.container.chirp_service.list_allow_list_entries(m.b.merchant_id)
    ]
    return json.dumps(state, sort_keys=True, default=str)


def _leaks(answer: str, args: dict[str, Any], b: TenantB) -> list[str]:
    """B's markers in an answer, after removing what the caller itself sent (an error may echo it)."""
    for value in args.values():
        if isinstance(value, str):
            answer = answer.replace(value, "")
    markers = [b.merchant_id, b.tag, b.detection_id, b.entry_id, b.secret, b.event_hash, b.case_id]
    return [marker for marker in markers if marker in answer]


async def test_every_registered_tool_has_a_tenant_case(matrix: Matrix) -> None:
    tools = await _tools(matrix.base, matrix.token_a)
    missing = [f"{s}.{t}" for s, names in tools.items() for t in names if f"{s}.{t}" not in CASES]
    assert sum(len(names) for names in tools.values()) >= 32
    assert not missing, (
        f"no tenant case for {', '.join(missing)}: add a line to tests/support/tenant_cases.py, "
        'e.g. "chirp.new_tool": lambda b: {"detection_id": b.detection_id}'
    )


async def test_merchant_a_gets_nothing_of_merchant_b_from_any_tool(matrix: Matrix) -> None:
    m = matrix
    before = await _b_state(m)
    calls, leaked = 0, []
    for server, names in (await _tools(m.base, m.token_a)).items():
        async with holding(m.base, server, m.token_a) as client:
            for tool in names:
                case = CASES.get(f"{server}.{tool}")
                if case is None:
                    continue  # reported by test_every_registered_tool_has_a_tenant_case
                args = case(m.b)
                try:
                    answer = json.dumps((await client.call_tool(tool, args)).structured_content, default=str)
                except ToolError as exc:
                    answer = str(exc)
                calls += 1
                leaked += [f"{server}.{tool}: {marker}" for marker in _leaks(answer, args, m.b)]
    assert calls >= 32
    assert not leaked, leaked
    assert await _b_state(m) == before
