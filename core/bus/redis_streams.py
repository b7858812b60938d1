"""The StreamBus on Redis or Valkey Streams: the production adapter.

Every method is one or two round trips. Failures surface as `BusError` with a one-line message that
names the server (never its password), so the CLI can print it and stop.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import redis
from redis.typing import EncodableT, FieldT

from core.bus.port import (
    DEFAULT_MAX_LEN,
    DEFAULT_PREFIX,
    BusError,
    DeadLetter,
    Message,
    StreamStats,
    check_fields,
    dead_letter_fields,
    dead_letter_stream,
    parse_dead_letter,
)

START_HINT = "start it with `make services` or `redis-server --daemonize yes`"


def redact(url: str) -> str:
    """The URL without user info, safe for logs and error messages."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=host).geturl()


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _encodable(fields: Mapping[str, str]) -> dict[FieldT, EncodableT]:
    return dict(fields.items())  # the same pairs, typed as redis-py's (invariant) dict parameter


def _entries(reply: Any) -> Iterator[tuple[str, dict[str, str]]]:
    """(id, fields) pairs from an XREADGROUP/XAUTOCLAIM/XRANGE reply, RESP2 or RESP3, str or bytes.

    Entries whose data was deleted come back with fields None; they carry nothing to deliver.
    """
    if isinstance(reply, dict):
        for nested in reply.values():
            yield from _entries(nested)
    elif isinstance(reply, tuple) and len(reply) == 2 and isinstance(reply[0], (str, bytes)):
        if reply[1] is not None and isinstance(reply[0], str):
            # A client decoding responses decodes every bulk string: the fields are text already.
            yield reply[0], dict(reply[1])
        elif reply[1] is not None:
            yield _text(reply[0]), {_text(k): _text(v) for k, v in reply[1].items()}
    elif isinstance(reply, list):
        for item in reply:
            if not isinstance(item, (str, bytes)):  # RESP2 puts the stream name beside its entries
                yield from _entries(item)


class RedisStreamBus:
    """Takes ownership of `client`: `close()` closes it. Prefer `from_url`."""

    def __init__(
        self, client: redis.Redis, prefix: str = DEFAULT_PREFIX, max_len: int = DEFAULT_MAX_LEN
    ) -> None:
        self._r, self._prefix, self._max_len = client, prefix, max_len
        kwargs = client.connection_pool.connection_kwargs
        where = kwargs.get("path") or f"{kwargs.get('host', '?')}:{kwargs.get('port', '?')}"
        self._where = f"redis://{where}/{kwargs.get('db', 0)}"
        self._closed = False

    @classmethod
    def from_url(
        cls, url: str, prefix: str = DEFAULT_PREFIX, max_len: int = DEFAULT_MAX_LEN
    ) -> RedisStreamBus:
        """Connect and check the server answers, so a wrong URL fails at start-up, not mid-batch."""
        try:
            client = redis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=5)
        except ValueError as exc:
            raise BusError(f"invalid Redis URL {redact(url)}: {exc}") from None
        bus = cls(client, prefix=prefix, max_len=max_len)
        bus._where = redact(url)
        with bus._errors("PING"):
            client.ping()
        return bus

    def publish(self, stream: str, fields: Mapping[str, str]) -> str:
        checked = _encodable(check_fields(fields))
        with self._errors("XADD"):
            return _text(self._r.xadd(self._key(stream), checked, maxlen=self._max_len, approximate=True))

    def publish_many(self, stream: str, entries: Sequence[Mapping[str, str]]) -> list[str]:
        checked = [_encodable(check_fields(fields)) for fields in entries]
        if not checked:
            return []
        key = self._key(stream)
        with self._errors("XADD pipeline"):
            # Not a transaction: entries are appended in order, as consecutive publishes would be.
            pipe = self._r.pipeline(transaction=False)
            for fields in checked:
                pipe.xadd(key, fields, maxlen=self._max_len, approximate=True)
            return [_text(entry_id) for entry_id in pipe.execute()]

    def ensure_group(self, stream: str, group: str) -> bool:
        try:
            with self._errors("XGROUP CREATE"):
                self._r.xgroup_create(self._key(stream), group, id="0", mkstream=True)
        except BusError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
            return False
        return True

    def read(self, stream: str, group: str, consumer: str, *, count: int, block_ms: int) -> list[Message]:
        # BLOCK 0 means "forever" to Redis; the port's 0 means "do not wait", so leave BLOCK out.
        with self._errors("XREADGROUP"):
            reply = self._r.xreadgroup(
                group,
                consumer,
                {self._key(stream): ">"},
                count=count,
                block=block_ms if block_ms > 0 else None,
            )
        return [Message(i, stream, f, 1) for i, f in _entries(reply)]

    def ack(self, stream: str, group: str, ids: Sequence[str]) -> int:
        if not ids:
            return 0
        with self._errors("XACK"):
            return int(self._r.xack(self._key(stream), group, *ids))

    def claim_idle(
        self, stream: str, group: str, consumer: str, *, min_idle_ms: int, count: int
    ) -> list[Message]:
        key, cursor = self._key(stream), "0-0"
        claimed: list[tuple[str, dict[str, str]]] = []
        with self._errors("XAUTOCLAIM"):
            # One XAUTOCLAIM may stop early (it scans at most 10 x COUNT pending entries, and entries
            # trimmed away use up COUNT), so follow the cursor until COUNT messages or the end.
            while len(claimed) < count:
                reply = self._r.xautoclaim(
                    key, group, consumer, min_idle_ms, start_id=cursor, count=count - len(claimed)
                )
                claimed += _entries(reply[1])
                cursor = _text(reply[0])
                if cursor == "0-0":
                    break
            if not claimed:
                return []
            # XAUTOCLAIM bumps the delivery counts but does not return them; read them back.
            pipe = self._r.pipeline(transaction=False)
            for entry_id, _ in claimed:
                pipe.xpending_range(key, group, min=entry_id, max=entry_id, count=1)
            counts = pipe.execute()
        messages = []
        for (entry_id, fields), pending in zip(claimed, counts, strict=True):
            # Acked or taken by another consumer in between: no longer ours to deliver.
            if pending and _text(pending[0]["consumer"]) == consumer:
                messages.append(Message(entry_id, stream, fields, int(pending[0]["times_delivered"])))
        return messages

    def dead_letter(self, stream: str, group: str, message: Message, error: str) -> str:
        copy = _encodable(dead_letter_fields(group, message, error))
        with self._errors("dead-letter MULTI"):
            pipe = self._r.pipeline(transaction=True)
            pipe.xadd(
                self._key(dead_letter_stream(stream)),
                copy,
                maxlen=self._max_len,
                approximate=True,
            )
            pipe.xack(self._key(stream), group, message.id)
            dead_id, _acked = pipe.execute()
        return _text(dead_id)

    def read_dead_letters(self, stream: str, *, count: int = 100) -> list[DeadLetter]:
        with self._errors("XRANGE"):
            reply = self._r.xrange(self._key(dead_letter_stream(stream)), count=count)
        return [parse_dead_letter(stream, i, f) for i, f in _entries(reply)]

    def stats(self, stream: str, group: str) -> StreamStats:
        key = self._key(stream)
        with self._errors("XINFO GROUPS"):
            pipe = self._r.pipeline(transaction=True)
            pipe.xlen(key)
            pipe.xlen(self._key(dead_letter_stream(stream)))
            pipe.xinfo_groups(key)
            length, dead, groups = pipe.execute(raise_on_error=False)
            if isinstance(groups, redis.ResponseError):  # no such stream yet
                groups = []
            found = next((g for g in groups if _text(g["name"]) == group), None)
            if found is None:
                return StreamStats(int(length), 0, None, None, int(dead))
            pending, idle = int(found["pending"]), None
            if pending:
                oldest = self._r.xpending_range(key, group, min="-", max="+", count=1)
                idle = int(oldest[0]["time_since_delivered"]) if oldest else None
        lag = found.get("lag")
        return StreamStats(int(length), pending, None if lag is None else int(lag), idle, int(dead))

    def close(self) -> None:
        self._closed = True
        self._r.close()

    def _key(self, stream: str) -> str:
        if self._closed:
            raise BusError(f"the Redis stream bus for {self._where} is closed")
        return self._prefix + stream

    @contextmanager
    def _errors(self, command: str) -> Iterator[None]:
        try:
            yield
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise BusError(f"Redis is unreachable at {self._where} ({reason}); {START_HINT}") from exc
        except redis.ResponseError as exc:
            raise BusError(f"Redis refused {command} on {self._where}: {exc}") from exc
