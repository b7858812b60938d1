"""The demo's world is dated relative to its clock: a pinned day gives one start, always a Sunday,
always ending before that day, and the same seed on the same day gives the same world."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from core.demo.run import DemoWorld
from core.simulate import build_world


@given(today=st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)), days=st.integers(1, 90))
def test_the_world_starts_on_a_sunday_and_ends_before_today(today: date, days: int) -> None:
    start = DemoWorld(days=days).start(today)
    assert start.weekday() == 6
    last_day = start + timedelta(days=days - 1)
    assert today - timedelta(days=7) <= last_day < today


def test_december_gives_a_december_world_not_march() -> None:
    assert DemoWorld(days=21).start(date(2026, 12, 4)) == date(2026, 11, 8)
    assert DemoWorld(days=21).start(date(2026, 12, 6)) == date(2026, 11, 15)  # a Sunday: 21 days back


def test_the_same_seed_on_the_same_day_gives_the_same_world() -> None:
    start = DemoWorld(days=3).start(date(2026, 12, 4))
    first = build_world(7, stores=2, days=3, start=start)
    again = build_world(7, stores=2, days=3, start=start)
    assert first == again
    assert first.start == start
    assert build_world(7, stores=2, days=3) != first  # the simulator's default (March 2026) is not used
