"""``Inbox.accept_many`` answers a batch exactly as accepting its events one by one would, on both
backends: repeats inside the batch, keys already held, expired keys, events without a vendor id."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import col, func, select
from starlette.testclient import TestClient

from core.bootstrap import Container
from core.clock import FixedClock
from core.db.tables.ledger import InboxEntry
from core.ingest.inbox import Inbox, IncomingEvent
from tests.support.pipeline import new_merchant


def _event(merchant: str, event_id: str | None, body: bytes = b'{"x":1}') -> IncomingEvent:
    return IncomingEvent(
        merchant_id=merchant, source="SQUARE", source_type="WEBHOOK", raw=body, source_event_id=event_id
    )


def _stored(container: Container, merchant: str) -> int:
    with container.db.tenant(merchant) as s:
        return s.exec(select(func.count()).where(col(InboxEntry.merchant_id) == merchant)).one()


def test_a_repeat_inside_one_batch_is_a_duplicate_of_the_first(canary: tuple[Container, TestClient]) -> None:
    container, _ = canary
    merchant, _ = new_merchant(container)
    first, again, anonymous, other = container.inbox.accept_many(
        [
            _event(merchant, "e1"),
            _event(merchant, "e1", b"retry"),
            _event(merchant, None),
            _event(merchant, "e2"),
        ]
    )
    assert [a.status for a in (first, again, anonymous, other)] == [
        "accepted",
        "duplicate",
        "accepted",
        "accepted",
    ]
    assert again.inbox_id == first.inbox_id
    assert len({first.inbox_id, anonymous.inbox_id, other.inbox_id}) == 3
    assert _stored(container, merchant) == 3


def test_a_key_held_by_an_earlier_batch_answers_with_its_owner(canary: tuple[Container, TestClient]) -> None:
    container, _ = canary
    merchant, _ = new_merchant(container)
    (held,) = container.inbox.accept_many([_event(merchant, "e1")])
    repeat, fresh = container.inbox.accept_many([_event(merchant, "e1"), _event(merchant, "e3")])
    assert (repeat.status, repeat.inbox_id) == ("duplicate", held.inbox_id)
    assert fresh.status == "accepted"
    assert _stored(container, merchant) == 2


def test_an_expired_key_is_taken_over_by_a_new_delivery(canary: tuple[Container, TestClient]) -> None:
    container, _ = canary
    merchant, _ = new_merchant(container)
    clock = FixedClock(datetime.now(UTC))
    inbox = Inbox(container.db, container.bus, container.keyring, clock, dedup_hours=24)
    (old,) = inbox.accept_many([_event(merchant, "e1")])
    clock.advance(hours=24, seconds=1)
    late, repeat = inbox.accept_many([_event(merchant, "e1"), _event(merchant, "e1")])
    assert late.status == "accepted"
    assert late.inbox_id != old.inbox_id
    assert (repeat.status, repeat.inbox_id) == ("duplicate", late.inbox_id)
    assert _stored(container, merchant) == 2
