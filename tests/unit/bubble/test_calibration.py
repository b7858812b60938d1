"""Calibration to a false-alarm budget: an exponential tail fitted above the 99th percentile."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.bubble.calibration import tail_threshold


def test_the_tail_threshold_by_hand() -> None:
    # 990 zeros and 11…20: the 99th percentile (linear, index 989.01) is 0.01 · 11 = 0.11; the ten
    # values above it exceed it by 15.5 − 0.11 = 15.39 on average; a budget of 1 in 10,000 hours is
    # 0.11 + 15.39 · ln(0.01 / 0.0001)
    values = np.concatenate([np.zeros(990), np.arange(11.0, 21.0)])
    assert tail_threshold(values, 1e-4) == pytest.approx(0.11 + 15.39 * math.log(100))


def test_a_smaller_budget_sets_a_higher_threshold_beyond_the_largest_clean_value() -> None:
    rng = np.random.default_rng(0)
    values = rng.exponential(2.0, 15_000)
    loose, tight = tail_threshold(values, 1e-3), tail_threshold(values, 0.5e-4)
    assert loose < tight
    # an exponential of scale 2 leaves 0.5 in 10,000 above 2 · ln(20,000) = 19.8
    assert tight == pytest.approx(2.0 * math.log(20_000), rel=0.1)


def test_too_few_values_above_the_body_fall_back_to_the_largest() -> None:
    values = np.array([0.0] * 100 + [3.0])
    assert tail_threshold(values, 1e-4) == 3.0
    assert tail_threshold(np.array([]), 1e-4) == 0.0
