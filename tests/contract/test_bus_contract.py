"""One contract for the StreamBus, run against the in-process bus and Redis Streams.

The in-process bus is a fake only in where it keeps its data: every behaviour below is asserted
identically of both, so code proven on the embedded bus holds on Redis. Time: the in-process bus
reads idle times from a fake clock the test advances; Redis cannot be told to move time, so its
"long enough" is a minimum idle of 0 (against a large minimum for "not long enough").
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from core.bus.memory import InProcessBus
from core.bus.port import ALERTS, EVENTS, TRIM_SLACK, BusError, DeadLetter, Message, StreamBus
from core.bus.redis_streams import RedisStreamBus
from tests.support.redis_service import delete_keys, redis_url, unique_prefix

G = "seal"
HOUR_MS = 3_600_000


class FakeClock:
    def __init__(self) -> None:
        self.now = 5_000.0

    def __call__(self) -> float:
        return self.now


class Backend:
    """Opens buses of one kind under one test-unique prefix, and lets pending entries age."""

    def __init__(self, kind: str) -> None:
        self.kind, self.prefix, self.clock = kind, unique_prefix(), FakeClock()
        self.url = redis_url() if kind == "redis" else ""
        self.opened: list[StreamBus] = []

    def open(self, *, max_len: int = 1_000_000) -> StreamBus:
        bus: StreamBus
        if self.kind == "memory":
            bus = InProcessBus(prefix=self.prefix, max_len=max_len, clock=self.clock)
        else:
            bus = RedisStreamBus.from_url(self.url, prefix=self.prefix, max_len=max_len)
        self.opened.append(bus)
        return bus

    def elapse(self, ms: int) -> int:
        """Let `ms` pass for pending entries; returns a `min_idle_ms` that their idle time now meets."""
        if self.kind == "memory":
            self.clock.now += ms
            return ms
        return 0

    def close(self) -> None:
        for bus in self.opened:
            bus.close()
        if self.url:
            delete_keys(self.url, self.prefix)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    b = Backend(request.param)
    yield b
    b.close()


@pytest.fixture
def bus(backend: Backend) -> StreamBus:
    b = backend.open()
    b.ensure_group(EVENTS, G)
    return b


def publish_n(bus: StreamBus, n: int, stream: str = EVENTS) -> list[str]:
    return [bus.publish(stream, {"n": str(i)}) for i in range(n)]


def numbers(messages: list[Message]) -> list[str]:
    return [m.fields["n"] for m in messages]


def id_key(entry_id: str) -> tuple[int, int]:
    ms, seq = entry_id.split("-")
    return int(ms), int(seq)


def test_read_returns_published_entries_in_order_with_their_ids(bus: StreamBus) -> None:
    ids = publish_n(bus, 5)
    messages = bus.read(EVENTS, G, "c1", count=10, block_ms=0)
    assert [m.id for m in messages] == ids
    assert numbers(messages) == ["0", "1", "2", "3", "4"]
    assert {(m.stream, m.deliveries) for m in messages} == {(EVENTS, 1)}
    assert [id_key(i) for i in ids] == sorted({id_key(i) for i in ids})


def test_read_delivers_each_entry_to_a_group_once_and_honours_count(bus: StreamBus) -> None:
    publish_n(bus, 5)
    assert numbers(bus.read(EVENTS, G, "c1", count=3, block_ms=0)) == ["0", "1", "2"]
    assert numbers(bus.read(EVENTS, G, "c1", count=3, block_ms=0)) == ["3", "4"]
    assert bus.read(EVENTS, G, "c1", count=3, block_ms=0) == []


def test_two_consumers_in_one_group_split_the_messages(bus: StreamBus) -> None:
    publish_n(bus, 6)
    first = bus.read(EVENTS, G, "c1", count=4, block_ms=0)
    second = bus.read(EVENTS, G, "c2", count=4, block_ms=0)
    assert numbers(first) == ["0", "1", "2", "3"]
    assert numbers(second) == ["4", "5"]


def test_each_group_sees_every_message(bus: StreamBus) -> None:
    bus.ensure_group(EVENTS, "audit")
    publish_n(bus, 3)
    assert numbers(bus.read(EVENTS, G, "c1", count=10, block_ms=0)) == ["0", "1", "2"]
    assert numbers(bus.read(EVENTS, "audit", "c1", count=10, block_ms=0)) == ["0", "1", "2"]


def test_a_group_created_after_publishing_reads_from_the_stream_start(backend: Backend) -> None:
    bus = backend.open()
    publish_n(bus, 2, stream=ALERTS)
    bus.ensure_group(ALERTS, "notify")
    assert numbers(bus.read(ALERTS, "notify", "c1", count=10, block_ms=0)) == ["0", "1"]


def test_ensure_group_is_idempotent_and_keeps_the_group_position(bus: StreamBus) -> None:
    publish_n(bus, 2)
    bus.read(EVENTS, G, "c1", count=1, block_ms=0)
    assert bus.ensure_group(EVENTS, G) is False  # it exists: nothing was created
    assert bus.ensure_group(EVENTS, "fresh") is True
    assert numbers(bus.read(EVENTS, G, "c1", count=10, block_ms=0)) == ["1"]
    assert bus.stats(EVENTS, G).pending == 2


def test_reading_without_a_group_is_a_bus_error(backend: Backend) -> None:
    bus = backend.open()
    bus.publish(ALERTS, {"n": "0"})
    with pytest.raises(BusError, match="nope"):
        bus.read(ALERTS, "nope", "c1", count=1, block_ms=0)
    with pytest.raises(BusError):
        bus.claim_idle(ALERTS, "nope", "c1", min_idle_ms=0, count=1)


def test_ack_removes_entries_from_pending_and_counts_only_pending_ones(bus: StreamBus) -> None:
    publish_n(bus, 3)
    messages = bus.read(EVENTS, G, "c1", count=10, block_ms=0)
    assert bus.stats(EVENTS, G).pending == 3
    assert bus.ack(EVENTS, G, [messages[0].id, messages[1].id]) == 2
    assert bus.ack(EVENTS, G, [messages[0].id]) == 0
    assert bus.ack(EVENTS, G, []) == 0
    assert bus.ack(EVENTS, "no-such-group", [messages[2].id]) == 0
    assert bus.stats(EVENTS, G).pending == 1


def test_claim_idle_leaves_entries_that_have_not_been_idle_long_enough(bus: StreamBus) -> None:
    publish_n(bus, 2)
    bus.read(EVENTS, G, "c1", count=10, block_ms=0)
    assert bus.claim_idle(EVENTS, G, "c2", min_idle_ms=HOUR_MS, count=10) == []


def test_claim_idle_takes_over_idle_entries_with_their_delivery_count_raised(
    backend: Backend, bus: StreamBus
) -> None:
    publish_n(bus, 3)
    read = bus.read(EVENTS, G, "c1", count=10, block_ms=0)
    bus.ack(EVENTS, G, [read[1].id])
    claimed = bus.claim_idle(EVENTS, G, "c2", min_idle_ms=backend.elapse(60_000), count=10)
    assert [(m.id, m.fields, m.deliveries) for m in claimed] == [
        (read[0].id, {"n": "0"}, 2),
        (read[2].id, {"n": "2"}, 2),
    ]
    # A claim restarts the idle time: the new owner has the full window before anyone takes over.
    assert bus.claim_idle(EVENTS, G, "c3", min_idle_ms=HOUR_MS, count=10) == []
    again = bus.claim_idle(EVENTS, G, "c3", min_idle_ms=backend.elapse(60_000), count=10)
    assert [m.deliveries for m in again] == [3, 3]
    assert bus.stats(EVENTS, G).pending == 2


def test_claim_idle_takes_at_most_count_lowest_ids_first(backend: Backend, bus: StreamBus) -> None:
    publish_n(bus, 5)
    bus.read(EVENTS, G, "c1", count=10, block_ms=0)
    min_idle = backend.elapse(1_000)
    assert numbers(bus.claim_idle(EVENTS, G, "c2", min_idle_ms=min_idle, count=2)) == ["0", "1"]
    assert numbers(bus.claim_idle(EVENTS, G, "c2", min_idle_ms=HOUR_MS, count=10)) == []


def test_acked_entries_are_never_claimed(backend: Backend, bus: StreamBus) -> None:
    publish_n(bus, 2)
    read = bus.read(EVENTS, G, "c1", count=10, block_ms=0)
    bus.ack(EVENTS, G, [m.id for m in read])
    assert bus.claim_idle(EVENTS, G, "c2", min_idle_ms=backend.elapse(60_000), count=10) == []


def test_dead_letter_keeps_the_message_and_its_error_and_acks_it(bus: StreamBus) -> None:
    bus.publish(EVENTS, {"merchant_id": "m_1", "note": "crème brûlée ☕"})
    (message,) = bus.read(EVENTS, G, "c1", count=1, block_ms=0)
    dead_id = bus.dead_letter(EVENTS, G, message, "ValueError: unparseable payload")
    assert bus.read_dead_letters(EVENTS) == [
        DeadLetter(
            id=dead_id,
            stream=EVENTS,
            group=G,
            original_id=message.id,
            fields={"merchant_id": "m_1", "note": "crème brûlée ☕"},
            deliveries=1,
            error="ValueError: unparseable payload",
        )
    ]
    stats = bus.stats(EVENTS, G)
    assert (stats.length, stats.pending, stats.dead_letters) == (1, 0, 1)


def test_read_dead_letters_returns_the_oldest_first_up_to_count(bus: StreamBus) -> None:
    publish_n(bus, 3)
    for message in bus.read(EVENTS, G, "c1", count=10, block_ms=0):
        bus.dead_letter(EVENTS, G, message, f"boom {message.fields['n']}")
    assert [d.error for d in bus.read_dead_letters(EVENTS, count=2)] == ["boom 0", "boom 1"]
    assert bus.read_dead_letters(ALERTS) == []


def test_stats_report_length_pending_lag_and_oldest_pending_idle(backend: Backend, bus: StreamBus) -> None:
    empty = bus.stats(EVENTS, G)
    assert (empty.length, empty.pending, empty.lag, empty.oldest_pending_idle_ms, empty.dead_letters) == (
        0,
        0,
        0,
        None,
        0,
    )
    publish_n(bus, 5)
    assert bus.stats(EVENTS, G).lag == 5
    read = bus.read(EVENTS, G, "c1", count=2, block_ms=0)
    backend.elapse(250)
    stats = bus.stats(EVENTS, G)
    assert (stats.length, stats.pending, stats.lag) == (5, 2, 3)
    assert stats.oldest_pending_idle_ms is not None
    assert stats.oldest_pending_idle_ms >= (250 if backend.kind == "memory" else 0)
    bus.ack(EVENTS, G, [m.id for m in read])
    assert bus.stats(EVENTS, G).oldest_pending_idle_ms is None


def test_stats_of_an_unknown_stream_or_group_are_empty(bus: StreamBus) -> None:
    publish_n(bus, 2)
    assert bus.stats(ALERTS, "nobody").length == 0
    unknown_group = bus.stats(EVENTS, "nobody")
    assert (unknown_group.length, unknown_group.pending, unknown_group.lag) == (2, 0, None)


def test_a_blocking_read_returns_when_another_thread_publishes(bus: StreamBus) -> None:
    got: list[Message] = []
    reading = threading.Event()

    def reader() -> None:
        reading.set()
        got.extend(bus.read(EVENTS, G, "c1", count=10, block_ms=60_000))

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    assert reading.wait(timeout=10)
    publisher = threading.Thread(target=bus.publish, args=(EVENTS, {"n": "late"}))
    publisher.start()
    publisher.join(timeout=10)
    thread.join(timeout=10)  # far below the read's own 60 s: only the publish can end it in time
    assert not thread.is_alive()
    assert numbers(got) == ["late"]


def test_a_non_blocking_read_of_an_empty_stream_returns_nothing(bus: StreamBus) -> None:
    assert bus.read(EVENTS, G, "c1", count=10, block_ms=0) == []


def test_max_len_keeps_the_stream_bounded(backend: Backend) -> None:
    bus = backend.open(max_len=50)
    bus.ensure_group(ALERTS, G)
    ids = publish_n(bus, 600, stream=ALERTS)
    stats = bus.stats(ALERTS, G)
    assert 50 <= stats.length <= 50 + TRIM_SLACK
    newest = bus.read(ALERTS, G, "c1", count=1_000, block_ms=0)
    assert [m.id for m in newest] == ids[-stats.length :]
    # Reading what trimming left catches the group up completely.
    assert bus.stats(ALERTS, G).lag == 0


def test_lag_counts_entries_trimmed_before_the_group_read_them(backend: Backend) -> None:
    bus = backend.open(max_len=10)
    bus.ensure_group(ALERTS, G)
    publish_n(bus, 5, stream=ALERTS)
    bus.read(ALERTS, G, "c1", count=2, block_ms=0)
    publish_n(bus, 300, stream=ALERTS)
    assert bus.stats(ALERTS, G).lag == 303
    bus.ensure_group(ALERTS, "late")  # never read: Redis estimates its lag as the stream's length
    assert bus.stats(ALERTS, "late").lag == bus.stats(ALERTS, "late").length


def test_claim_idle_drops_pending_entries_whose_data_was_trimmed(backend: Backend) -> None:
    bus = backend.open(max_len=10)
    bus.ensure_group(ALERTS, G)
    publish_n(bus, 3, stream=ALERTS)
    bus.read(ALERTS, G, "c1", count=3, block_ms=0)
    publish_n(bus, 300, stream=ALERTS)
    assert bus.stats(ALERTS, G).pending == 3
    assert bus.claim_idle(ALERTS, G, "c2", min_idle_ms=backend.elapse(1_000), count=10) == []
    assert bus.stats(ALERTS, G).pending == 0


def test_fields_round_trip_unicode_and_awkward_text(bus: StreamBus) -> None:
    fields = {
        "名前": "Ünïcødé ✓ 🐦",
        "empty": "",
        "spaces": "  a b  ",
        "json": '{"a": [1, "ß"]}',
        "nl": "x\ny",
    }
    bus.publish(EVENTS, fields)
    (message,) = bus.read(EVENTS, G, "c1", count=1, block_ms=0)
    assert dict(message.fields) == fields


@pytest.mark.parametrize(
    "fields",
    [{}, {"dead.error": "forged"}, {"n": 1}, {b"n": "bytes"}],
    ids=["empty", "reserved", "int", "bytes"],
)
def test_publish_refuses_fields_the_adapters_would_store_differently(bus: StreamBus, fields: object) -> None:
    with pytest.raises(BusError):
        bus.publish(EVENTS, fields)  # type: ignore[arg-type]
    assert bus.stats(EVENTS, G).length == 0


def test_publish_many_appends_in_order_as_single_publishes_would(bus: StreamBus) -> None:
    first = bus.publish(EVENTS, {"n": "0"})
    ids = bus.publish_many(EVENTS, [{"n": str(i), "k": "batch"} for i in range(1, 4)])
    assert bus.publish_many(EVENTS, []) == []
    messages = bus.read(EVENTS, G, "c1", count=10, block_ms=0)
    assert [m.id for m in messages] == [first, *ids]
    assert numbers(messages) == ["0", "1", "2", "3"]
    assert [id_key(i) for i in [first, *ids]] == sorted({id_key(i) for i in [first, *ids]})
    assert bus.stats(EVENTS, G).length == 4


def test_publish_many_appends_nothing_when_any_entry_is_invalid(bus: StreamBus) -> None:
    with pytest.raises(BusError):
        bus.publish_many(EVENTS, [{"n": "0"}, {"dead.error": "forged"}])
    assert bus.stats(EVENTS, G).length == 0


def test_a_closed_bus_refuses_work(backend: Backend) -> None:
    bus = backend.open()
    bus.close()
    with pytest.raises(BusError, match="closed"):
        bus.publish(EVENTS, {"n": "0"})
