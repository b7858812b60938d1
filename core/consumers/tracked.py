"""The tracked-consumer base: exactly-once in effect over an at-least-once stream.

A stream delivers each message at least once (a crash before the acknowledgement redelivers it).
A tracked consumer makes that harmless. Per merchant and batch it opens one transaction under its
``MerchantLock`` (one writer per merchant, across processes on Postgres) and in it:

1. drops the messages whose key it has already recorded (``positions.seen``),
2. applies the rest, in ledger order, through the subclass's ``apply_batch``,
3. records their keys (``positions.record``),

and commits 2 and 3 together. So a redelivered message finds its key and changes nothing, and a
crash leaves either the effects and the keys or neither. After the commit ``after_commit`` may do
what must follow it (publish an outbox); when the transaction fails, ``on_rollback`` lets the
subclass drop caches that already hold the batch's effects.

Rebuilding from the ledger: the ledger is the source of truth and ``canary replay`` re-parses sealed
events onto the stream again. ``forget_positions(merchant_id)`` makes this consumer count every
message anew, so a replay re-applies them to this consumer while every other group skips them by
key. Effects must therefore be idempotent upserts, not increments.

A subclass names itself (``name``, ``stream``, ``group``, the ``consumer`` key in
``processed_messages``), says how to decode a message (``decode``; ``ParsedEventConsumer`` does it for
``canary:detection``) and implements ``apply_batch``. See docs/consumers.md.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from sqlmodel import Session

from core.clock import Clock
from core.consumers import positions
from core.consumers.keys import entity_prefix, message_key
from core.db.dialect import MerchantLock
from core.db.statistics import GrowthWatch
from core.db.uow import Database
from core.domain.parsing import ParsedEvent

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Summary = TypeVar("Summary")


class Delivered(Protocol):
    """What a consumer reads of a bus message (``core.bus.port.Message`` fits)."""

    @property
    def fields(self) -> Mapping[str, str]: ...


@dataclass(frozen=True)
class Decoded(Generic[Item]):
    """One message as a consumer tracks it."""

    merchant_id: str
    key: str  # unique per merchant and consumer; at most 200 characters
    order: int  # apply order within a batch (the evidence seq for ledger-derived messages)
    item: Item


@dataclass(frozen=True)
class Batch(Generic[Item]):
    """What ``apply_batch`` receives: the fresh items in order, and how many messages arrived."""

    merchant_id: str
    fresh: Sequence[Item]
    received: int

    @property
    def duplicates(self) -> int:
        return self.received - len(self.fresh)


class TrackedConsumer(ABC, Generic[Item, Summary]):
    """A ``Stage`` for the worker runner (``name``, ``stream``, ``group``, ``handle``)."""

    name: str
    stream: str
    group: str
    consumer: str  # the ``processed_messages.consumer`` value; never change it once deployed
    # The app tables this consumer grows row by row: their planner statistics are refreshed as they
    # grow (core/db/statistics.py), so a backfill's batch look-ups keep using the keys.
    grows: tuple[str, ...] = ("processed_messages",)

    def __init__(self, db: Database, clock: Clock, lock: MerchantLock) -> None:
        self._db, self._clock, self._lock = db, clock, lock
        self._growth = GrowthWatch(self.grows)

    # What a subclass provides ----------------------------------------------------------------------

    @abstractmethod
    def decode(self, fields: Mapping[str, str]) -> Decoded[Item]:
        """One message's fields as a tracked item; raise on a malformed message."""

    @abstractmethod
    def apply_batch(self, session: Session, batch: Batch[Item]) -> Summary:
        """Write the effects of ``batch.fresh`` (possibly empty) in the caller's transaction."""

    def after_commit(self, merchant_id: str, summary: Summary) -> Summary:
        """What must happen once the effects are durable (an outbox publish); returns the summary."""
        return summary

    def on_rollback(self, merchant_id: str) -> None:
        """The batch's transaction failed: drop anything cached that already holds its effects."""

    def replaces(self, item: Item) -> str | None:
        """The key prefix of the earlier versions this item supersedes (their keys are dropped when
        it is applied, so they count again if they come back), or None."""
        return None

    # The skeleton ------------------------------------------------------------------------------------

    def handle(self, batch: Sequence[Delivered]) -> None:
        by_merchant: dict[str, list[Decoded[Item]]] = defaultdict(list)
        for message in batch:
            decoded = self.decode(message.fields)
            by_merchant[decoded.merchant_id].append(decoded)
        for merchant_id, decoded_items in by_merchant.items():
            self.process_decoded(merchant_id, decoded_items)

    def process_decoded(self, merchant_id: str, received: Sequence[Decoded[Item]]) -> Summary:
        """Apply one merchant's messages once each; messages of other merchants are ignored."""
        try:
            with self._lock.tenant(self._db, merchant_id) as session:
                keyed = {d.key: d for d in received if d.merchant_id == merchant_id}
                done = positions.seen(session, merchant_id, self.consumer, list(keyed))
                fresh = sorted((d for k, d in keyed.items() if k not in done), key=lambda d: d.order)
                summary = self.apply_batch(
                    session, Batch(merchant_id, [d.item for d in fresh], len(received))
                )
                positions.drop_earlier_parses(
                    session, merchant_id, self.consumer, [p for d in fresh if (p := self.replaces(d.item))]
                )
                positions.record(
                    session, merchant_id, self.consumer, [d.key for d in fresh], self._clock.now()
                )
        except BaseException:
            self.on_rollback(merchant_id)
            raise
        self._growth.wrote(self._db, merchant_id, len(fresh))
        return self.after_commit(merchant_id, summary)

    def forget_positions(self, merchant_id: str) -> int:
        """Count every message of this merchant as new again (before a ledger replay rebuilds this
        consumer); returns how many keys were dropped."""
        with self._lock.tenant(self._db, merchant_id) as session:
            return positions.forget(session, merchant_id, self.consumer)


class ParsedEventConsumer(TrackedConsumer[ParsedEvent, Summary]):
    """A tracked consumer of ``canary:detection``: each message's ``event`` field is one parsed
    event (``ParsedEvent`` JSON), keyed by ``message_key`` and applied in evidence-seq order."""

    def decode(self, fields: Mapping[str, str]) -> Decoded[ParsedEvent]:
        return self.track(ParsedEvent.model_validate_json(fields["event"]))

    def replaces(self, item: ParsedEvent) -> str | None:
        return entity_prefix(item)  # another parse of the same sealed event's entity

    @staticmethod
    def track(event: ParsedEvent) -> Decoded[ParsedEvent]:
        return Decoded(event.merchant_id, message_key(event), event.evidence_seq, event)

    def process(self, merchant_id: str, events: Sequence[ParsedEvent]) -> Summary:
        """Apply already-parsed events (tests, backtests, the demo) exactly as a batch would be."""
        return self.process_decoded(merchant_id, [self.track(e) for e in events])
