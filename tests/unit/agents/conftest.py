"""Agents over the real MCP servers, in process, on one SQLite Canary for the package: the
hand-counted shop of tests/support/mcp_world.py (two merchants, so tenancy can be checked) plus a
void cluster for the rules. Being shared, each test writes to its own rule or merchant. Models are
scripted; no test may reach a real one."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from pydantic_ai import models

from core.auth.principal import DEFAULT_SCOPES, Principal
from core.bootstrap import Container, bootstrap
from core.clock import FixedClock
from core.domain.parsing import ParsedEvent
from core.simulate.canonical import L, at, square_txn
from tests.support.mcp_world import AS_OF, Shop, seed_shop
from tests.support.pipeline import settings_for

models.ALLOW_MODEL_REQUESTS = False


@dataclass(frozen=True)
class AgentWorld:
    container: Container
    shop: Shop  # merchant A, with the rules fed
    other: Shop  # merchant B

    def principal(self, role: str = "analyst", merchant: str | None = None, token: str = "tok") -> Principal:
        scopes = frozenset(DEFAULT_SCOPES[role])
        return Principal(merchant or self.shop.merchant_id, role, scopes, "memory", token)


_seq = itertools.count(10_000)


def voids(merchant_id: str, n: int) -> list[ParsedEvent]:
    """``n`` voids by one employee ten minutes apart (2026-05-04): Q-VR-03 clusters them at 3."""
    events = [square_txn(f"v{i}", at(10 * i), [L("SEED", 800)], type="VOID") for i in range(n)]
    return [e.model_copy(update={"merchant_id": merchant_id, "evidence_seq": next(_seq)}) for e in events]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="package")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentWorld]:
    tmp = tmp_path_factory.mktemp("agents")
    settings = settings_for(f"sqlite:///{tmp / 'canary.db'}", tmp, redis=False)
    container = bootstrap(settings, clock=FixedClock(AS_OF))
    try:
        shop, other = seed_shop(container.db, tag="A"), seed_shop(container.db, tag="B")
        container.chirp_stage.process(shop.merchant_id, voids(shop.merchant_id, 4))
        yield AgentWorld(container, shop, other)
    finally:
        container.close()
