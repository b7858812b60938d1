"""What the contract suite cannot say of both adapters: exact idle boundaries on the in-process
bus's fake clock, waking blocked readers on close, and Redis error messages that hide passwords."""

from __future__ import annotations

import threading

import pytest

from core.bus.memory import InProcessBus
from core.bus.port import EVENTS, BusError
from core.bus.redis_streams import RedisStreamBus, redact


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_is_claimable_once_idle_for_exactly_the_minimum() -> None:
    clock = FakeClock()
    bus = InProcessBus(clock=clock)
    bus.ensure_group(EVENTS, "g")
    bus.publish(EVENTS, {"n": "0"})
    bus.read(EVENTS, "g", "c1", count=1, block_ms=0)
    clock.now += 999
    assert bus.claim_idle(EVENTS, "g", "c2", min_idle_ms=1_000, count=1) == []
    assert bus.stats(EVENTS, "g").oldest_pending_idle_ms == 999
    clock.now += 1
    assert [m.deliveries for m in bus.claim_idle(EVENTS, "g", "c2", min_idle_ms=1_000, count=1)] == [2]
    assert bus.stats(EVENTS, "g").oldest_pending_idle_ms == 0


def test_closing_the_bus_wakes_a_blocked_reader_empty_handed() -> None:
    bus = InProcessBus()
    bus.ensure_group(EVENTS, "g")
    outcome: list[object] = []

    def reader() -> None:
        try:
            outcome.append(bus.read(EVENTS, "g", "c", count=1, block_ms=60_000))
        except BusError:
            outcome.append("closed before the read began")

    thread = threading.Thread(target=reader)
    thread.start()
    bus.close()
    thread.join(timeout=10)  # far below the read's own 60 s: only close() can end it in time
    assert not thread.is_alive()
    assert outcome in ([[]], ["closed before the read began"])


def test_trimming_keeps_the_newest_entries_within_the_slack() -> None:
    bus = InProcessBus(max_len=3)
    ids = [bus.publish(EVENTS, {"n": str(i)}) for i in range(1_000)]
    bus.ensure_group(EVENTS, "g")
    kept = bus.read(EVENTS, "g", "c", count=10_000, block_ms=0)
    assert [m.id for m in kept] == ids[-len(kept) :]
    assert 3 <= len(kept) <= 103


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:hunter2@db.internal:6380/1", "redis://db.internal:6380/1"),
        ("rediss://app:hunter2@cache:6379/0", "rediss://cache:6379/0"),
        ("redis://127.0.0.1:6379/15", "redis://127.0.0.1:6379/15"),
    ],
)
def test_redact_drops_user_and_password(url: str, shown: str) -> None:
    assert redact(url) == shown


def test_an_unreachable_redis_is_a_one_line_bus_error_without_the_password() -> None:
    with pytest.raises(BusError) as caught:
        RedisStreamBus.from_url("redis://app:hunter2@127.0.0.1:1/0")  # nothing listens on port 1
    message = str(caught.value)
    assert message.startswith("Redis is unreachable at redis://127.0.0.1:1/0")
    assert "hunter2" not in message
    assert "\n" not in message
