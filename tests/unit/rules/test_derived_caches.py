"""Derived caches (``RuleState.cache``: tallies and indexes rules keep next to their stored windows so
an event costs its own rows, not a re-walk of the window) never change what the engine finds.

The bench's mixed Square and Counterpoint stream, with category, store and customer records arriving
early, late and changed, goes through every rule twice: once as the consumer runs it, once with the
cache emptied before every event (as after a reload, so every rule re-walks its windows). Both must
give the same evaluations (ids, revisions, findings with their evidence) and the same stored state,
in event order and shuffled.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from core.bench.rules import MERCHANT, workload
from core.domain.parsing import ParsedEvent
from core.rules.catalog import default_catalog
from core.rules.engine import Engine, TenantConfig
from core.rules.facts import Facts
from core.rules.model import Mode
from core.rules.state import RuleState
from core.simulate.canonical import at, cp_category, cp_customer, cp_store

ENGINE = Engine(default_catalog())


def stream(count: int) -> list[ParsedEvent]:
    """The workload with reference records: half the categories and a store's ceilings before the
    sales, the rest a third of the way in, four categories and the ceilings changed two thirds in;
    wholesale and retail customers throughout, some of them changing tier."""
    events: list[ParsedEvent] = list(workload(count, seed=11))
    categories = [cp_category(f"CAT{i}", 35.0 + 2 * i, 50.0) for i in range(12)]
    changed = [cp_category(f"CAT{i}", 48.0 - i, 55.0) for i in range(0, 12, 3)]
    customers = [
        cp_customer(f"K{i}", at(days=i % 20), tier="WHOLESALE" if i % 3 else "RETAIL")
        for i in [*range(0, 500, 7), *range(0, 500, 21)]
    ]
    events[2 * count // 3 : 2 * count // 3] = [*changed, cp_store("1", max_discount_pct=20.0)]
    events[count // 3 : count // 3] = categories[6:]
    events[0:0] = [*categories[:6], cp_store("1", max_discount_pct=10.0, max_discount_cents=500)]
    for n, record in enumerate(customers):
        events.insert(n * (len(events) // len(customers)), record)
    update = [{"merchant_id": MERCHANT, "evidence_seq": n} for n in range(1, len(events) + 1)]
    return [e.model_copy(update=u) for e, u in zip(events, update, strict=True)]


def run(events: list[ParsedEvent], *, cached: bool) -> tuple[list[Any], dict[str, str]]:
    prepared = ENGINE.prepare(TenantConfig(default_mode=Mode.ALERTING))
    state = RuleState()
    out: list[Any] = []
    for event in events:
        if not cached:
            state.cache.clear()
        result = ENGINE.evaluate(Facts.from_event(event), state, prepared)
        out.extend(
            (e.rule.id, e.detection_id, e.revision, repr(e.finding), e.suppression)
            for e in result.evaluations
        )
        out.extend(result.errors)
    return out, state.dirty()


@pytest.mark.parametrize("shuffled", [False, True])
def test_caches_change_no_finding_and_no_stored_state(shuffled: bool) -> None:
    events = stream(2_500)
    if shuffled:
        rng = random.Random(5)
        blocks = [events[i : i + 150] for i in range(0, len(events), 150)]
        for block in blocks:
            rng.shuffle(block)
        events = [e for block in blocks for e in block]
    found, state = run(events, cached=True)
    assert {"Q-ME-01", "Q-DM-01"} <= {row[0] for row in found}  # the stream exercises the caches it checks
    assert (found, state) == run(events, cached=False)
