"""``recency.touch`` keeps the same map, in the same order, as filtering every key on every event."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from core.rules import recency
from core.rules.state import RuleState, memory

KEPT = 100.0


def naive(held: dict[str, float], key: str, ts: float) -> dict[str, float]:
    latest = max([ts, *held.values()])
    held = {k: v for k, v in held.items() if v >= latest - KEPT}
    held[key] = max(ts, held.get(key, ts))
    return held


touches = st.lists(
    st.tuples(st.sampled_from("abcdefgh"), st.floats(0, 1_000, allow_nan=False), st.booleans()), max_size=80
)


@given(touches)
def test_touch_matches_filtering_every_key(steps: list[tuple[str, float, bool]]) -> None:
    state = RuleState()
    mine = memory(state, "Q-TEST")
    expected: dict[str, float] = {}
    for key, ts, reload in steps:
        if reload:  # as a restarted consumer: the stored slices back, the derived cache gone
            state.load(state.dirty())
        recency.touch(state, mine, "held", key, ts, KEPT)
        expected = naive(expected, key, ts)
        assert list(mine.get("held").items()) == list(expected.items())
