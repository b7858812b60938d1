"""Stuck-stage alarms (core/pipeline/alarms.py) on both backends: work left undone past the limit
raises one for its stage, counted from the database, so a bus that lost the queue cannot hide it."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlmodel import select
from starlette.testclient import TestClient

from core.bootstrap import Container
from core.bus.port import PARSED_EVENTS
from core.clock import FixedClock
from core.db.tables.ledger import InboxEntry
from core.pipeline.alarms import StageAlarms, StageRef
from core.pipeline.workers import STAGE_NAMES, drain, stage
from tests.support.pipeline import new_merchant, post, webhook

Canary = tuple[Container, TestClient]


def _alarmed(container: Container, merchant: str, *, later: timedelta) -> set[str]:
    alarms = StageAlarms(
        container.db, container.bus, FixedClock(container.clock.now() + later), stuck_after_seconds=300
    )
    stages = [stage(container.pipeline, name) for name in STAGE_NAMES]
    refs = [StageRef(s.name, s.stream, s.group) for s in stages]
    return {a.stage for a in alarms.check(refs, [merchant])}  # other tests' merchants share the database


def test_a_stage_that_leaves_work_undone_alarms_until_it_is_done(canary: Canary) -> None:
    container, client = canary
    merchant, url = new_merchant(container)
    post(client, url, webhook("payment.created"))
    assert _alarmed(container, merchant, later=timedelta(seconds=10)) == set()  # not late yet
    assert "seal" in _alarmed(container, merchant, later=timedelta(minutes=10))
    [seq] = container.seal.seal(merchant, _inbox_ids(container, merchant))  # not published to parse
    assert "parse" in _alarmed(container, merchant, later=timedelta(minutes=10))
    container.parse.parse_seqs(merchant, [seq])
    drain(container.pipeline)
    assert _alarmed(container, merchant, later=timedelta(minutes=10)) == set()
    metrics = client.get("/metrics").text
    for name in STAGE_NAMES:
        assert f'canary_stage_stuck{{stage="{name}"}} 0' in metrics


def _inbox_ids(container: Container, merchant: str) -> list[str]:
    with container.db.tenant(merchant) as s:
        return list(s.exec(select(InboxEntry.id).where(InboxEntry.merchant_id == merchant)).all())


def test_every_detection_consumer_alarms_while_a_message_is_held_too_long(canary: Canary) -> None:
    """A consumer that died holding a message (read, never acknowledged): its group alarms once the
    message has been pending longer than the limit, and only its group; then again for the next."""
    container, client = canary
    merchant, url = new_merchant(container)
    post(client, url, webhook("payment.created"))
    drain(container.pipeline)
    stages = [stage(container.pipeline, n) for n in STAGE_NAMES]
    consumers = [s for s in stages if s.stream == PARSED_EVENTS]
    assert {c.name for c in consumers} == {"customers", "chirp", "bubble"}
    refs = [StageRef(s.name, s.stream, s.group) for s in stages]
    alarms = StageAlarms(container.db, container.bus, container.clock, stuck_after_seconds=1)
    for consumer in consumers:
        container.bus.publish(PARSED_EVENTS, {"merchant_id": merchant, "seq": "1", "kind": "held"})
        (held,) = container.bus.read(PARSED_EVENTS, consumer.group, "died-holding-it", count=1, block_ms=0)
        time.sleep(1.3)
        raised = {a.stage: a.reason for a in alarms.check(refs, [merchant])}
        assert set(raised) == {consumer.name}, raised
        assert "pending for" in raised[consumer.name]
        container.bus.ack(PARSED_EVENTS, consumer.group, [held.id])
        for other in consumers:  # the others have not read it: lag, not a held message
            container.bus.read(PARSED_EVENTS, other.group, "reader", count=10, block_ms=0)
            container.bus.ack(PARSED_EVENTS, other.group, [held.id])
    assert alarms.check(refs, [merchant]) == []
