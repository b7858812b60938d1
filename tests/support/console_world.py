"""A seeded world for the console tests: merchant A with customers (tests/support/mcp_world.py's
shop) and a Q-VR-03 void cluster, merchant B with its own cluster, and a token for every role.

Q-VR-03 is promoted to alerting for both merchants, then three voids by one employee at one station
ten minutes apart (at(0), at(10), at(20)) make one detection each; its alert goes through
``canary:alerts`` to the fox consumer, which opens one case. The clock stops at ``NOW`` =
at(hours=3), so the detections are "since yesterday" on the Today page.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from core.auth.principal import ROLES
from core.bootstrap import Container, bootstrap
from core.bus.port import ALERTS
from core.clock import FixedClock
from core.domain.parsing import ParsedEvent
from core.rules.service.views import DetectionSummary
from core.simulate.canonical import L, at, square_txn
from tests.support.mcp_world import Shop, seed_shop
from tests.support.pipeline import settings_for

NOW = at(hours=3)
WHY = "seeded for the console tests"
_seq = itertools.count(1)


@dataclass(frozen=True)
class ConsoleWorld:
    merchant_a: str
    merchant_b: str
    tokens: dict[str, str]  # role -> token of merchant A
    token_b: str  # an operator of merchant B
    no_read: str  # merchant A, pipeline:write only: refused every page
    shop: Shop
    detection_a: DetectionSummary
    detection_b: DetectionSummary
    case_a: str
    case_b: str


def _voids(merchant_id: str, ref: str) -> list[ParsedEvent]:
    events = [square_txn(f"{ref}{i}", at(10 * i), [L("SEED", 800)], type="VOID") for i in range(3)]
    return [e.model_copy(update={"merchant_id": merchant_id, "evidence_seq": next(_seq)}) for e in events]


def seed(container: Container) -> ConsoleWorld:
    shop = seed_shop(container.db)
    a = shop.merchant_id
    b = seed_shop(container.db).merchant_id
    found, cases = {}, {}
    container.bus.ensure_group(ALERTS, "console-test")
    for merchant_id, ref in ((a, "va"), (b, "vb")):
        container.chirp_service.promote_rule(
            merchant_id, "Q-VR-03", "alerting", actor="test:seed", reason=WHY, force=True
        )
        container.chirp_stage.process(merchant_id, _voids(merchant_id, ref))
        [found[merchant_id]] = container.chirp_service.query_detections(merchant_id, rule_id="Q-VR-03").items
        published = container.bus.read(ALERTS, "console-test", "seed", count=100, block_ms=0)
        container.fox_stage.process(
            merchant_id, [container.fox_stage.decode(m.fields).item for m in published]
        )
        [top] = container.fox_service.top_cases(merchant_id).items
        cases[merchant_id] = top.case_id
    return ConsoleWorld(
        merchant_a=a,
        merchant_b=b,
        tokens={role: container.tokens.create(a, role).token for role in ROLES},
        token_b=container.tokens.create(b, "operator").token,
        no_read=container.tokens.create(a, "ops", ["pipeline:write"]).token,
        shop=shop,
        detection_a=found[a],
        detection_b=found[b],
        case_a=cases[a],
        case_b=cases[b],
    )


@contextmanager
def console_container(tmp_path: Path) -> Iterator[Container]:
    """Canary on embedded SQLite with the in-process bus, its clock stopped at ``NOW``."""
    settings = settings_for(f"sqlite:///{tmp_path / 'canary.db'}", tmp_path, redis=False)
    built = bootstrap(settings, clock=FixedClock(NOW))
    try:
        yield built
    finally:
        built.close()
