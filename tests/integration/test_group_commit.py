"""The group-commit inbox on Postgres: concurrent accepts share a transaction, every caller hears
back only after its row committed, and one bad event fails only its own request."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import pytest
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import col, select

from core.bus.memory import InProcessBus
from core.bus.port import BusError
from core.clock import SystemClock
from core.db.tables.ledger import InboxEntry
from core.db.uow import Database
from core.ingest.group_commit import GroupCommitInbox, InboxClosedError
from core.ingest.inbox import Acceptance, IncomingEvent
from core.security.keyring import MerchantKeyring
from core.tenancy import onboard_merchant

pytestmark = pytest.mark.postgres


class GatedInbox(GroupCommitInbox):
    """Holds its first write until released, so the calls queued meanwhile form one group."""

    def __init__(self, db: Database, keyring: MerchantKeyring) -> None:
        self.gate, self.groups = threading.Event(), []
        super().__init__(db, InProcessBus(), keyring, SystemClock(), dedup_hours=24, max_wait_s=0, writers=1)

    def accept_many(self, events: list[IncomingEvent], ids: list[str] | None = None) -> list[Acceptance]:
        self.groups.append(len(events))
        self.gate.wait(timeout=30)
        return super().accept_many(events, ids)


@pytest.fixture
def merchant(pg_app: Database) -> tuple[Database, MerchantKeyring, str]:
    keyring = MerchantKeyring(b"k" * 32)
    merchant_id = f"m_{uuid.uuid4().hex[:10]}"
    onboard_merchant(pg_app, keyring, merchant_id=merchant_id, name="Group Commit Garden Center")
    return pg_app, keyring, merchant_id


@pytest.fixture
def inbox(merchant: tuple[Database, MerchantKeyring, str]) -> Iterator[GatedInbox]:
    db, keyring, _ = merchant
    gated = GatedInbox(db, keyring)
    yield gated
    gated.gate.set()
    gated.close()


def _event(merchant_id: str, event_id: str | None = None) -> IncomingEvent:
    event_id = event_id or str(uuid.uuid4())
    return IncomingEvent(
        merchant_id=merchant_id,
        source="SQUARE",
        source_type="WEBHOOK",
        raw=f'{{"event_id": "{event_id}"}}'.encode(),
        source_event_id=event_id,
        event_type="payment.created",
    )


def _wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.005)


def _submit_gated(
    inbox: GatedInbox, pool: ThreadPoolExecutor, events: list[IncomingEvent]
) -> list[Future[Acceptance]]:
    """The first event goes alone (and holds the writer at the gate); the rest queue up behind it."""
    first = pool.submit(inbox.accept, events[0])
    _wait_until(lambda: inbox.groups == [1])
    rest = [pool.submit(inbox.accept, e) for e in events[1:]]
    _wait_until(lambda: inbox._queue.qsize() == len(events) - 1)
    return [first, *rest]


def _stored(db: Database, merchant_id: str, inbox_ids: list[str]) -> int:
    with db.tenant(merchant_id) as s:
        return len(
            s.exec(
                select(InboxEntry.id).where(
                    InboxEntry.merchant_id == merchant_id, col(InboxEntry.id).in_(inbox_ids)
                )
            ).all()
        )


def test_concurrent_accepts_share_one_transaction_and_return_after_it_commits(
    merchant: tuple[Database, MerchantKeyring, str], inbox: GatedInbox
) -> None:
    db, _, merchant_id = merchant
    with ThreadPoolExecutor(max_workers=12) as pool:
        futures = _submit_gated(inbox, pool, [_event(merchant_id) for _ in range(10)])
        assert not any(f.done() for f in futures), "a caller heard back before its row was written"
        inbox.gate.set()
        answers = [f.result(timeout=30) for f in futures]
    assert inbox.groups == [1, 9]
    assert {a.status for a in answers} == {"accepted"}
    assert _stored(db, merchant_id, [a.inbox_id for a in answers]) == 10


def test_a_redelivery_inside_one_group_is_answered_duplicate_of_the_first(
    merchant: tuple[Database, MerchantKeyring, str], inbox: GatedInbox
) -> None:
    _, _, merchant_id = merchant
    event = _event(merchant_id)
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = _submit_gated(inbox, pool, [_event(merchant_id), event, event])
        inbox.gate.set()
        _, first, again = [f.result(timeout=30) for f in futures]
    assert (first.status, again.status) == ("accepted", "duplicate")
    assert again.inbox_id == first.inbox_id


def test_a_bad_event_fails_only_its_own_request(
    merchant: tuple[Database, MerchantKeyring, str], inbox: GatedInbox
) -> None:
    db, _, merchant_id = merchant
    good = [_event(merchant_id) for _ in range(4)]
    # A source longer than its column: Postgres refuses it (vendor ids are fitted, ours are not).
    bad = dataclasses.replace(_event(merchant_id), source="S" * 40)
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = _submit_gated(inbox, pool, [good[0], good[1], bad, good[2], good[3]])
        inbox.gate.set()
        with pytest.raises(DBAPIError):
            futures[2].result(timeout=30)
        answers = [f.result(timeout=30) for i, f in enumerate(futures) if i != 2]
    assert {a.status for a in answers} == {"accepted"}
    assert _stored(db, merchant_id, [a.inbox_id for a in answers]) == 4


def test_close_finishes_what_is_queued_then_refuses_new_events(
    merchant: tuple[Database, MerchantKeyring, str], inbox: GatedInbox
) -> None:
    _, _, merchant_id = merchant
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = _submit_gated(inbox, pool, [_event(merchant_id) for _ in range(3)])
        closing = pool.submit(inbox.close)
        inbox.gate.set()
        closing.result(timeout=30)
        assert {f.result(timeout=30).status for f in futures} == {"accepted"}
    with pytest.raises(InboxClosedError):
        inbox.accept(_event(merchant_id))


class DownBus(InProcessBus):
    """Redis gone: every publish fails after the inbox has committed."""

    def publish(self, stream: str, fields: Mapping[str, str]) -> str:
        raise BusError("Redis is unreachable (test)")

    def publish_many(self, stream: str, entries: Sequence[Mapping[str, str]]) -> list[str]:
        raise BusError("Redis is unreachable (test)")


def test_first_deliveries_are_accepted_while_the_bus_is_down(
    merchant: tuple[Database, MerchantKeyring, str],
) -> None:
    db, keyring, merchant_id = merchant
    inbox = GroupCommitInbox(db, DownBus(), keyring, SystemClock(), dedup_hours=24, max_wait_s=0.01)
    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(pool.map(inbox.accept, [_event(merchant_id) for _ in range(40)]))
    finally:
        inbox.close()
    assert [a.status for a in answers] == ["accepted"] * 40
    assert _stored(db, merchant_id, [a.inbox_id for a in answers]) == 40


def test_one_merchants_failure_leaves_anothers_group_accepted(
    merchant: tuple[Database, MerchantKeyring, str], inbox: GatedInbox
) -> None:
    db, keyring, merchant_id = merchant
    other = f"m_{uuid.uuid4().hex[:10]}"
    onboard_merchant(db, keyring, merchant_id=other, name="Other Garden Center")
    ours = [_event(merchant_id) for _ in range(3)]
    bad = dataclasses.replace(_event(other), source="S" * 40)
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = _submit_gated(inbox, pool, [ours[0], ours[1], bad, ours[2]])
        inbox.gate.set()
        with pytest.raises(DBAPIError):
            futures[2].result(timeout=30)
        answers = [f.result(timeout=30) for i, f in enumerate(futures) if i != 2]
    assert [a.status for a in answers] == ["accepted"] * 3


class LostCommitAnswer(GatedInbox):
    """The group's COMMIT lands, then its connection dies before the answer arrives (as when the
    database's connections are terminated mid-commit): the writer sees an error for a write that
    took effect."""

    def accept_many(self, events: list[IncomingEvent], ids: list[str] | None = None) -> list[Acceptance]:
        answers = super().accept_many(events, ids)
        if len(events) > 1:
            raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))
        return answers


def test_a_group_whose_commit_answer_was_lost_answers_accepted_not_duplicate(
    merchant: tuple[Database, MerchantKeyring, str],
) -> None:
    db, keyring, merchant_id = merchant
    inbox = LostCommitAnswer(db, keyring)
    keyless = dataclasses.replace(_event(merchant_id), source_event_id=None)  # no dedup key to find
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = _submit_gated(inbox, pool, [_event(merchant_id), _event(merchant_id), keyless])
            inbox.gate.set()
            answers = [f.result(timeout=30) for f in futures]
    finally:
        inbox.gate.set()
        inbox.close()
    assert inbox.groups == [1, 2, 1, 1]  # the group of two, then each of its events again
    assert [a.status for a in answers] == ["accepted"] * 3
    assert _stored(db, merchant_id, [a.inbox_id for a in answers]) == 3
    with db.tenant(merchant_id) as s:
        rows = s.exec(select(InboxEntry.id).where(InboxEntry.merchant_id == merchant_id)).all()
    assert len(rows) == 3  # none written twice


def test_accepts_awaited_on_an_event_loop_share_a_group_and_hear_only_after_it_commits(
    merchant: tuple[Database, MerchantKeyring, str], inbox: GatedInbox
) -> None:
    """The ingress awaits ``accept_async``: no thread per request, the same promise."""
    db, _, merchant_id = merchant
    events = [_event(merchant_id) for _ in range(6)]
    bad = dataclasses.replace(_event(merchant_id), source="S" * 40)

    async def scenario() -> list[Acceptance | BaseException]:
        first = asyncio.ensure_future(inbox.accept_async(events[0]))
        while inbox.groups != [1]:
            await asyncio.sleep(0.005)
        rest = [asyncio.ensure_future(inbox.accept_async(e)) for e in [*events[1:3], bad, *events[3:]]]
        while inbox._queue.qsize() < len(rest):
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.05)
        assert not any(f.done() for f in [first, *rest]), "a request heard back before its row was written"
        inbox.gate.set()
        return await asyncio.gather(first, *rest, return_exceptions=True)

    answers = asyncio.run(scenario())
    assert inbox.groups[:2] == [1, 6]  # then the failed group's events one by one
    assert isinstance(answers[3], DBAPIError)
    good = [a for i, a in enumerate(answers) if i != 3]
    assert all(isinstance(a, Acceptance) and a.status == "accepted" for a in good)
    assert _stored(db, merchant_id, [a.inbox_id for a in good if isinstance(a, Acceptance)]) == 6


def test_a_group_of_several_merchants_commits_once_each_under_its_own_tenant(
    merchant: tuple[Database, MerchantKeyring, str], inbox: GatedInbox
) -> None:
    db, keyring, merchant_id = merchant
    other = f"m_{uuid.uuid4().hex[:10]}"
    onboard_merchant(db, keyring, merchant_id=other, name="Other Garden Center")
    ours, theirs = [_event(merchant_id) for _ in range(3)], [_event(other) for _ in range(2)]
    again = _event(other, theirs[0].source_event_id)  # a redelivery inside the group
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = _submit_gated(inbox, pool, [ours[0], theirs[0], ours[1], theirs[1], again, ours[2]])
        inbox.gate.set()
        answers = [f.result(timeout=30) for f in futures]
    assert inbox.groups == [1]  # the group of five went through accept_merchants, in one transaction
    assert [a.status for a in answers] == ["accepted"] * 4 + ["duplicate", "accepted"]
    assert answers[4].inbox_id == answers[1].inbox_id
    assert _stored(db, merchant_id, [answers[i].inbox_id for i in (0, 2, 5)]) == 3
    assert _stored(db, other, [answers[i].inbox_id for i in (1, 3)]) == 2
    # Each row is its own merchant's: under the other tenant's binding none of them is visible.
    assert _stored(db, other, [answers[i].inbox_id for i in (0, 2, 5)]) == 0
