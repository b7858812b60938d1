"""The tracked-consumer base on both databases: redelivery is harmless, a failed batch records no
position, other merchants' messages are ignored, and forgetting positions lets a replay rebuild."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from core.clock import FixedClock
from core.consumers.keys import MAX_KEY, message_key
from core.consumers.tracked import Batch, Decoded, ParsedEventConsumer, TrackedConsumer
from core.customers.projection import CustomerProjection
from core.customers.rebuild import projection_snapshot
from core.db.dialect import MerchantLock
from core.db.uow import Database
from core.domain.parsing import ParsedEvent
from tests.integration.customers import world as w

CLOCK = FixedClock(datetime(2027, 1, 1, tzinfo=UTC))


class Boom(Exception):
    pass


class Recorder(TrackedConsumer[str, list[str]]):
    """Messages ``{"merchant_id", "id", "n"}``; applies them by remembering their ids."""

    name = stream = group = consumer = "recorder"

    def __init__(self, db: Database, *, fail_on: str | None = None) -> None:
        super().__init__(db, CLOCK, MerchantLock("canary.test-recorder"))
        self.applied: list[list[str]] = []
        self.committed: list[list[str]] = []
        self.rolled_back: list[str] = []
        self._fail_on = fail_on

    def decode(self, fields: Mapping[str, str]) -> Decoded[str]:
        return Decoded(fields["merchant_id"], fields["id"], int(fields["n"]), fields["id"])

    def apply_batch(self, session: Session, batch: Batch[str]) -> list[str]:
        if self._fail_on in batch.fresh:
            raise Boom(self._fail_on)
        self.applied.append(list(batch.fresh))
        return list(batch.fresh)

    def after_commit(self, merchant_id: str, summary: list[str]) -> list[str]:
        self.committed.append(summary)
        return summary

    def on_rollback(self, merchant_id: str) -> None:
        self.rolled_back.append(merchant_id)


class Message:
    def __init__(self, merchant_id: str, id_: str, n: int) -> None:
        self.fields = {"merchant_id": merchant_id, "id": id_, "n": str(n)}


def test_a_redelivered_message_is_skipped_and_a_batch_applies_in_order(any_db: Database) -> None:
    merchant = w.new_merchant(any_db)
    consumer = Recorder(any_db)
    consumer.handle([Message(merchant, "b", 2), Message(merchant, "a", 1)])
    consumer.handle([Message(merchant, "a", 1), Message(merchant, "c", 3)])
    assert consumer.applied == [["a", "b"], ["c"]]
    assert consumer.committed == consumer.applied


def test_a_failed_batch_records_no_position_and_redelivery_applies_it(any_db: Database) -> None:
    merchant = w.new_merchant(any_db)
    failing = Recorder(any_db, fail_on="b")
    with pytest.raises(Boom):
        failing.handle([Message(merchant, "a", 1), Message(merchant, "b", 2)])
    assert failing.rolled_back == [merchant]
    assert failing.committed == []
    retry = Recorder(any_db)
    retry.handle([Message(merchant, "a", 1), Message(merchant, "b", 2)])
    assert retry.applied == [["a", "b"]]


def test_positions_are_per_merchant(any_db: Database) -> None:
    one, two = w.new_merchant(any_db), w.new_merchant(any_db)
    consumer = Recorder(any_db)
    consumer.handle([Message(one, "a", 1), Message(two, "a", 1)])
    assert consumer.applied == [["a"], ["a"]]
    summary = consumer.process_decoded(one, [Decoded(two, "z", 1, "z")])  # not this merchant's
    assert summary == []


def test_forgetting_positions_lets_a_replay_rebuild_the_projection(any_db: Database) -> None:
    world = w.generate(3, w.new_merchant(any_db), customers=6, transactions=30, cards=3)
    projection = CustomerProjection(any_db, CLOCK)
    first = projection.process(world.merchant_id, world.events)
    streamed = projection_snapshot(any_db, world.merchant_id)
    assert projection.process(world.merchant_id, world.events).duplicates == len(world.events)
    assert projection.forget_positions(world.merchant_id) == first.messages - first.duplicates
    again = projection.process(world.merchant_id, world.events)
    assert again.duplicates == 0
    assert projection_snapshot(any_db, world.merchant_id) == streamed


def test_a_long_entity_id_gets_a_bounded_distinct_key() -> None:
    def event(entity: str) -> ParsedEvent:
        return ParsedEvent(
            merchant_id="m",
            evidence_seq=9,
            source="SQUARE",
            source_type="WEBHOOK",
            kind="k",
            entity_id=entity,
            facts={},
        )

    short, long_a, long_b = event("e"), event("a" * 300), event("a" * 299 + "b")
    assert message_key(short).startswith("9:k:e:")
    reparsed = short.model_copy(update={"facts": {"transaction": {"type": "REFUND"}}})
    assert message_key(reparsed) != message_key(short)  # a changed parse is a new message
    assert message_key(short.model_copy()) == message_key(short)  # an unchanged one is not
    assert len(message_key(long_a)) <= MAX_KEY
    assert message_key(long_a) != message_key(long_b)
    assert ParsedEventConsumer.track(long_a).key == message_key(long_a)
