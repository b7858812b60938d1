"""Q-DM-01's kept sales (core/rules/families/discount_kept.py): cutting the stored list by bisection
and an index by id gives the list the full filter-and-insert gave, and the index stays the list's."""

from __future__ import annotations

import bisect
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from core.rules.families import discount_kept
from core.rules.state import RuleState

LATENESS, CAP = 50.0, 6


def naive(sales: list[dict[str, Any]], row: dict[str, Any], newest: float) -> list[dict[str, Any]]:
    kept = [r for r in sales if r["id"] != row["id"] and float(r["ts"]) >= newest - LATENESS]
    bisect.insort(kept, row, key=discount_kept.sale_order)
    return kept[-CAP:]


sales_in = st.lists(st.tuples(st.sampled_from("abcdefghij"), st.integers(0, 300), st.booleans()), max_size=60)


@given(sales_in)
def test_replaced_matches_filtering_the_whole_list(steps: list[tuple[str, int, bool]]) -> None:
    state = RuleState()
    stored: list[dict[str, Any]] = []
    expected: list[dict[str, Any]] = []
    for n, (sale, ts, reload) in enumerate(steps):
        if reload:
            state.cache.clear()  # as after a reload: the index is rebuilt from the list
        row = {"ts": float(ts), "id": sale, "version": n}
        index = discount_kept.index_of(state, "k", stored)
        before = index.get(sale)
        newest = discount_kept.newest(stored, float(ts))
        expected = naive(expected, row, newest)
        stored = discount_kept.replaced(state, "k", stored, before, row, newest - LATENESS, CAP)
        assert stored == expected
        assert discount_kept.index_of(state, "k", stored) == {r["id"]: r for r in stored}
        assert all(discount_kept.index_of(state, "k", stored)[r["id"]] is r for r in stored)
