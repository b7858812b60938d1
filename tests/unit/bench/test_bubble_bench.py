"""The bubble bench's pieces (core/bench/bubble.py): average precision against hand-computed values,
the generic detectors' features, and that `canary bench bubble` is a scenario."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from core.bench.bubble import average_precision, features
from core.bench.harness import BUILT_IN
from core.bubble import DeviceHour


def test_average_precision_is_the_mean_precision_at_each_positive() -> None:
    scores = np.array([0.9, 0.8, 0.7, 0.6])
    # ranked: +, -, +, -  → precision 1/1 at the first positive, 2/3 at the second
    assert average_precision(scores, np.array([True, False, True, False])) == (1 + 2 / 3) / 2
    assert average_precision(scores, np.array([True, True, False, False])) == 1.0
    assert average_precision(scores, np.array([False, False, False, True])) == 0.25
    assert average_precision(scores, np.zeros(4, dtype=bool)) is None  # no positives: undefined


def test_features_are_shares_of_the_hours_transactions() -> None:
    hour = datetime(2026, 3, 2, 10, tzinfo=UTC)
    rows = features([DeviceHour("D", "S", hour, 10, 4500, 2, 1, 3, 5, 6.0, 2), DeviceHour("D", "S", hour)])
    assert rows.tolist() == [[10, 450.0, 0.2, 0.1, 0.5, 3, 6.0, 2], [0, 0, 0, 0, 0, 0, 0, 0]]


def test_bubble_is_a_bench_scenario() -> None:
    assert BUILT_IN["bubble"] == ("core.bench.bubble", False)
