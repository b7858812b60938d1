"""The StreamBus port: append-only streams read through consumer groups.

Two adapters implement it, the in-process bus (embedded mode) and Redis/Valkey Streams
(production), and one contract suite (`tests/contract/test_bus_contract.py`) holds them to the same
behaviour. The semantics are Redis's, because that is the one we cannot change: at-least-once
delivery, a pending entries list per group, delivery counts that grow on every claim, and
approximate trimming that may leave a stream up to `TRIM_SLACK` entries longer than `max_len`.

Stream names given to the bus are logical ("events"); each adapter prefixes them (``canary:``) so
deployments and tests sharing one Redis keep to their own keys.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

EVENTS = "events"
SEALED = "sealed"
# Parse output: every ParsedEvent (core/domain/parsing.py), for the customer projection, Chirp and
# Bubble. Its wire name stays "detection" (canary:detection) because deployed consumer groups and
# dashboards read the stream by that name; it carries parsed events, not detections (those are
# Chirp's rows, and what alerts goes to canary:alerts). See docs/architecture.md.
PARSED_EVENTS = "detection"
ALERTS = "alerts"

DEFAULT_PREFIX = "canary:"
DEFAULT_MAX_LEN = 1_000_000
# Redis trims whole radix-tree nodes (stream-node-max-entries, 100 by default); the in-process bus
# trims in steps of the same size so both keep a stream within [max_len, max_len + TRIM_SLACK].
TRIM_SLACK = 100

# Bookkeeping fields of a dead-letter entry. Publishing them as ordinary fields is refused, so a
# dead letter's original fields can always be told apart from why it died.
DEAD_ID = "dead.id"
DEAD_GROUP = "dead.group"
DEAD_DELIVERIES = "dead.deliveries"
DEAD_ERROR = "dead.error"
RESERVED_FIELDS = frozenset({DEAD_ID, DEAD_GROUP, DEAD_DELIVERIES, DEAD_ERROR})


class BusError(Exception):
    """The bus cannot do what was asked (unreachable, closed, unknown group, invalid fields).

    The message is one line meant for an operator: it names the bus but never a password.
    """


@dataclass(frozen=True)
class Message:
    id: str
    stream: str
    fields: Mapping[str, str]
    deliveries: int  # 1 on first delivery; each claim by a consumer adds one


@dataclass(frozen=True)
class DeadLetter:
    id: str  # the entry's id in the dead-letter stream
    stream: str  # the logical stream the message came from
    group: str
    original_id: str
    fields: Mapping[str, str]
    deliveries: int
    error: str


@dataclass(frozen=True)
class StreamStats:
    length: int
    pending: int
    # Entries not yet delivered to the group, by Redis's own reckoning (entries ever added minus
    # entries the group has read). None when Redis cannot know, and when the group does not exist.
    lag: int | None
    # Idle time of the oldest (lowest id) pending entry, the one most likely to be stuck.
    oldest_pending_idle_ms: int | None
    dead_letters: int


class StreamBus(Protocol):
    def publish(self, stream: str, fields: Mapping[str, str]) -> str:
        """Append an entry (at least one field; keys and values are str) and return its id."""
        ...

    def publish_many(self, stream: str, entries: Sequence[Mapping[str, str]]) -> list[str]:
        """Append entries in order, as `publish` would one by one, in one round trip; their ids.

        Every entry is checked before any is appended, so invalid fields append nothing."""
        ...

    def ensure_group(self, stream: str, group: str) -> bool:
        """Create the group if it is missing, reading from the stream's start; idempotent. True when
        it was created (the first start, or a server that lost its data since)."""
        ...

    def read(self, stream: str, group: str, consumer: str, *, count: int, block_ms: int) -> list[Message]:
        """Entries never delivered to the group, oldest first; they become pending for `consumer`.

        `block_ms=0` returns at once (unlike Redis's BLOCK 0, which waits forever).
        """
        ...

    def ack(self, stream: str, group: str, ids: Sequence[str]) -> int:
        """Remove entries from the group's pending list; returns how many were pending."""
        ...

    def claim_idle(
        self, stream: str, group: str, consumer: str, *, min_idle_ms: int, count: int
    ) -> list[Message]:
        """Take over up to `count` entries pending for at least `min_idle_ms`, lowest id first.

        Each claimed message has its delivery count incremented. Pending entries whose data was
        trimmed away are dropped from the pending list and not returned.
        """
        ...

    def dead_letter(self, stream: str, group: str, message: Message, error: str) -> str:
        """Copy the message with its error to ``f"{stream}:dead"`` and ack it, as one step."""
        ...

    def read_dead_letters(self, stream: str, *, count: int = 100) -> list[DeadLetter]:
        """The oldest `count` dead letters of a stream."""
        ...

    def stats(self, stream: str, group: str) -> StreamStats: ...

    def close(self) -> None: ...


def dead_letter_stream(stream: str) -> str:
    return f"{stream}:dead"


def check_fields(fields: Mapping[str, str]) -> dict[str, str]:
    """Refuse what one adapter would store differently from the other (non-str, empty, reserved)."""
    if not fields:
        raise BusError("a stream entry needs at least one field")
    for key, value in fields.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise BusError(f"stream fields must be str to str, got {type(key).__name__} {key!r}")
        if key in RESERVED_FIELDS:
            raise BusError(f"field name {key!r} is reserved for dead letters")
    return dict(fields)


def dead_letter_fields(group: str, message: Message, error: str) -> dict[str, str]:
    return {
        **message.fields,
        DEAD_ID: message.id,
        DEAD_GROUP: group,
        DEAD_DELIVERIES: str(message.deliveries),
        DEAD_ERROR: error,
    }


def parse_dead_letter(stream: str, entry_id: str, fields: Mapping[str, str]) -> DeadLetter:
    original = {k: v for k, v in fields.items() if k not in RESERVED_FIELDS}
    return DeadLetter(
        id=entry_id,
        stream=stream,
        group=fields.get(DEAD_GROUP, ""),
        original_id=fields.get(DEAD_ID, ""),
        fields=original,
        deliveries=int(fields.get(DEAD_DELIVERIES, "0")),
        error=fields.get(DEAD_ERROR, ""),
    )
