"""The in-process stream bus: embedded mode's stand-in for Redis Streams, proven by the same contract.

It copies Redis where Redis's behaviour is observable through the port: ids are ``<ms>-<seq>`` and
strictly increasing, a consumer group remembers the last id it delivered and a pending entries list
with owner, delivery time and count; claiming skips entries idle for less than the minimum (equal is
enough, as in XAUTOCLAIM) and drops pending entries whose data was trimmed; trimming is approximate
in steps of `TRIM_SLACK`; lag follows Redis's entries-added/entries-read arithmetic.

Idle times come from an injectable monotonic millisecond clock so tests can move time without
sleeping. Blocking reads wait on a condition that every publish notifies.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from core.bus.port import (
    DEFAULT_MAX_LEN,
    DEFAULT_PREFIX,
    TRIM_SLACK,
    BusError,
    DeadLetter,
    Message,
    StreamStats,
    check_fields,
    dead_letter_fields,
    dead_letter_stream,
    parse_dead_letter,
)

StreamId = tuple[int, int]


def parse_id(text: str) -> StreamId:
    ms, _, seq = text.partition("-")
    try:
        return int(ms), int(seq or 0)
    except ValueError:
        raise BusError(f"invalid stream id {text!r}") from None


def format_id(sid: StreamId) -> str:
    return f"{sid[0]}-{sid[1]}"


@dataclass
class _Pending:
    consumer: str
    delivered_at: float
    deliveries: int


@dataclass
class _Group:
    last_id: StreamId = (0, 0)
    entries_read: int | None = None  # None: unknown, as Redis has it for a group created at "0"
    pending: dict[StreamId, _Pending] = field(default_factory=dict)  # insertion order is id order


class _Stream:
    """Entries in id order; trimming advances `start` instead of shifting a million-entry list."""

    def __init__(self) -> None:
        self.ids: list[StreamId] = []
        self.fields: list[dict[str, str]] = []
        self.start = 0
        self.last_id: StreamId = (0, 0)
        self.entries_added = 0
        self.groups: dict[str, _Group] = {}

    def __len__(self) -> int:
        return len(self.ids) - self.start

    def append(self, fields: dict[str, str], max_len: int) -> StreamId:
        now_ms = time.time_ns() // 1_000_000
        ms, seq = self.last_id
        sid = (now_ms, 0) if now_ms > ms else (ms, seq + 1)
        self.ids.append(sid)
        self.fields.append(fields)
        self.last_id = sid
        self.entries_added += 1
        if len(self) > max_len + TRIM_SLACK:
            self.start = len(self.ids) - max_len
            if self.start > len(self.ids) // 2:
                del self.ids[: self.start], self.fields[: self.start]
                self.start = 0
        return sid

    def find(self, sid: StreamId) -> dict[str, str] | None:
        i = bisect.bisect_left(self.ids, sid, lo=self.start)
        return self.fields[i] if i < len(self.ids) and self.ids[i] == sid else None

    def after(self, sid: StreamId, count: int) -> list[tuple[StreamId, dict[str, str]]]:
        i = bisect.bisect_right(self.ids, sid, lo=self.start)
        return list(zip(self.ids[i : i + count], self.fields[i : i + count], strict=True))

    def read_counter(self, sid: StreamId) -> int | None:
        """How many entries precede and include `sid`, if knowable (Redis's distance estimate)."""
        if not self.entries_added:
            return 0
        if (not len(self) and sid <= self.last_id) or sid == self.last_id:
            return self.entries_added
        if sid > self.last_id:
            return None
        first = self.ids[self.start]
        if sid < first:
            return self.entries_added - len(self)
        return self.entries_added - len(self) + 1 if sid == first else None

    def lag(self, group: _Group) -> int | None:
        read = group.entries_read if group.entries_read is not None else self.read_counter(group.last_id)
        return None if read is None else self.entries_added - read


_NONE = _Stream()


class InProcessBus:
    def __init__(
        self,
        *,
        prefix: str = DEFAULT_PREFIX,
        max_len: int = DEFAULT_MAX_LEN,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._prefix, self._max_len = prefix, max_len
        self._clock = clock or (lambda: time.monotonic() * 1000)
        self._streams: dict[str, _Stream] = {}
        self._changed = threading.Condition()
        self._closed = False

    def publish(self, stream: str, fields: Mapping[str, str]) -> str:
        checked = check_fields(fields)
        with self._changed:
            sid = self._stream(stream).append(checked, self._max_len)
            self._changed.notify_all()
        return format_id(sid)

    def publish_many(self, stream: str, entries: Sequence[Mapping[str, str]]) -> list[str]:
        checked = [check_fields(fields) for fields in entries]
        if not checked:
            return []
        with self._changed:
            target = self._stream(stream)
            ids = [format_id(target.append(fields, self._max_len)) for fields in checked]
            self._changed.notify_all()
        return ids

    def ensure_group(self, stream: str, group: str) -> bool:
        with self._changed:
            groups = self._stream(stream).groups
            if group in groups:
                return False
            groups[group] = _Group()
            return True

    def read(self, stream: str, group: str, consumer: str, *, count: int, block_ms: int) -> list[Message]:
        deadline = time.monotonic() + block_ms / 1000
        with self._changed:
            while True:
                messages = self._deliver(stream, group, consumer, count)
                remaining = deadline - time.monotonic()
                if messages or remaining <= 0:
                    return messages
                self._changed.wait(remaining)
                if self._closed:
                    return []  # a reader blocked across close() wakes empty-handed

    def ack(self, stream: str, group: str, ids: Sequence[str]) -> int:
        wanted = [parse_id(i) for i in ids]
        with self._changed:
            g = self._existing(stream).groups.get(group)
            return 0 if g is None else sum(g.pending.pop(sid, None) is not None for sid in set(wanted))

    def claim_idle(
        self, stream: str, group: str, consumer: str, *, min_idle_ms: int, count: int
    ) -> list[Message]:
        with self._changed:
            s, g = self._group(stream, group)
            now = self._clock()
            claimed: list[Message] = []
            for sid, entry in list(g.pending.items()):
                if len(claimed) >= count:
                    break
                if now - entry.delivered_at < min_idle_ms:
                    continue
                fields = s.find(sid)
                if fields is None:
                    del g.pending[sid]  # trimmed away: nothing left to deliver
                    continue
                entry.consumer, entry.delivered_at, entry.deliveries = consumer, now, entry.deliveries + 1
                claimed.append(Message(format_id(sid), stream, dict(fields), entry.deliveries))
            return claimed

    def dead_letter(self, stream: str, group: str, message: Message, error: str) -> str:
        # One lock makes copy-then-ack atomic, as MULTI/EXEC does on Redis.
        with self._changed:
            sid = self._stream(dead_letter_stream(stream)).append(
                dead_letter_fields(group, message, error), self._max_len
            )
            g = self._existing(stream).groups.get(group)
            if g is not None:
                g.pending.pop(parse_id(message.id), None)
            self._changed.notify_all()
        return format_id(sid)

    def read_dead_letters(self, stream: str, *, count: int = 100) -> list[DeadLetter]:
        with self._changed:
            entries = self._existing(dead_letter_stream(stream)).after((0, 0), count)
        return [parse_dead_letter(stream, format_id(sid), fields) for sid, fields in entries]

    def stats(self, stream: str, group: str) -> StreamStats:
        with self._changed:
            s = self._existing(stream)
            dead = len(self._existing(dead_letter_stream(stream)))
            g = s.groups.get(group)
            if g is None:
                return StreamStats(len(s), 0, None, None, dead)
            oldest = next(iter(g.pending.values()), None)
            idle = None if oldest is None else max(0, int(self._clock() - oldest.delivered_at))
            return StreamStats(len(s), len(g.pending), s.lag(g), idle, dead)

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def _stream(self, stream: str) -> _Stream:
        """The stream, created if missing (publish and ensure_group create, as on Redis)."""
        found = self._existing(stream)
        return found if found is not _NONE else self._streams.setdefault(self._prefix + stream, _Stream())

    def _existing(self, stream: str) -> _Stream:
        # Called with the lock held. Looking at a stream never creates it: an unknown stream reads
        # as the shared empty one, which nothing ever appends to.
        if self._closed:
            raise BusError("the in-process bus is closed")
        return self._streams.get(self._prefix + stream, _NONE)

    def _group(self, stream: str, group: str) -> tuple[_Stream, _Group]:
        s = self._existing(stream)
        g = s.groups.get(group)
        if g is None:
            key = self._prefix + stream
            raise BusError(f"no consumer group {group!r} on stream {key!r}; call ensure_group first")
        return s, g

    def _deliver(self, stream: str, group: str, consumer: str, count: int) -> list[Message]:
        s, g = self._group(stream, group)
        entries = s.after(g.last_id, count)
        now = self._clock()
        for sid, _ in entries:
            # Redis counts reads one entry at a time, re-estimating whenever its counter is unknown.
            g.entries_read = g.entries_read + 1 if g.entries_read is not None else s.read_counter(sid)
            g.last_id = sid
            g.pending[sid] = _Pending(consumer, now, 1)
        return [Message(format_id(sid), stream, dict(fields), 1) for sid, fields in entries]
