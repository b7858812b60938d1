"""Each statistical piece against values worked out by hand (closed forms, not scipy.stats)."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from core.bubble import tails

PHI_INV = NormalDist().inv_cdf


def test_negative_binomial_mid_p_matches_the_closed_form() -> None:
    # NB(mean 0.15, shape 3): p = 3/3.15; f(0) = p³, f(1) = 3p³(1−p), f(2) = 6p³(1−p)²
    p = 3 / 3.15
    f0, f1, f2 = p**3, 3 * p**3 * (1 - p), 6 * p**3 * (1 - p) ** 2
    assert f0 == pytest.approx(0.8638376, abs=1e-7)
    z = tails.nb_score(np.array([2.0]), np.array([0.15]), np.array([3.0]))[0]
    assert z == pytest.approx(PHI_INV(f0 + f1 + 0.5 * f2), abs=1e-9)
    assert z == pytest.approx(2.463, abs=1e-3)  # a Gaussian z of (2 − 0.15)/√0.1575 would say 4.66


def test_a_count_at_its_mean_scores_near_zero_and_a_low_count_scores_negative() -> None:
    z = tails.nb_score(np.array([0.0, 10.0]), np.array([10.0, 10.0]), np.array([1e6, 1e6]))
    assert z[0] < -3
    # Poisson(10) mid-p at 10: F(9) + f(10)/2
    f = [math.exp(-10) * 10**k / math.factorial(k) for k in range(11)]
    assert z[1] == pytest.approx(PHI_INV(sum(f[:10]) + f[10] / 2), abs=1e-4)


def test_beta_binomial_uniform_case() -> None:
    # Beta-Binomial(2, 1, 1) is uniform on {0, 1, 2}: mid-p of 1 is 1/2, of 2 is 5/6
    z = tails.betabinom_score(
        np.array([1.0, 2.0]), np.array([2.0, 2.0]), np.array([1.0, 1.0]), np.array([1.0, 1.0])
    )
    assert z[0] == pytest.approx(0.0, abs=1e-9)
    assert z[1] == pytest.approx(PHI_INV(5 / 6), abs=1e-9)


def test_one_void_in_two_sales_is_not_a_fifty_percent_alarm() -> None:
    # Beta(2, 98) (a 2 % void rate): f(0) = 98·99/(100·101), f(1) = 2·2·98/(100·101)
    f0, f1 = 98 * 99 / 10100, 4 * 98 / 10100
    z = tails.betabinom_score(np.array([1.0]), np.array([2.0]), np.array([2.0]), np.array([98.0]))[0]
    assert z == pytest.approx(PHI_INV(f0 + 0.5 * f1), abs=1e-9)
    assert z == pytest.approx(2.054, abs=1e-3)
    naive = (0.5 - 0.02) / math.sqrt(0.02 * 0.98 / 2)
    assert naive > 4.8 > z


def test_no_trials_no_information() -> None:
    z = tails.betabinom_score(np.array([0.0]), np.array([0.0]), np.array([2.0]), np.array([98.0]))
    assert z[0] == 0.0


def test_rate_and_count_log_likelihood_ratios() -> None:
    # p = 0.1, odds ratio 3 → p1 = 0.3 / 1.2 = 0.25; one refund in ten: log 2.5 + 9 log(0.75/0.9)
    llr = tails.rate_llr(np.array([1.0, 4.0]), np.array([10.0, 10.0]), np.array([0.1, 0.1]), 3.0)
    assert llr[0] == pytest.approx(math.log(2.5) + 9 * math.log(0.75 / 0.9), abs=1e-12)
    assert llr[1] == pytest.approx(4 * math.log(2.5) + 6 * math.log(0.75 / 0.9), abs=1e-12)
    # Poisson: 3 no-sales against a mean of 0.5 at ratio 3: 3 log 3 − 2 · 0.5
    assert tails.count_llr(np.array([3.0]), np.array([0.5]), 3.0)[0] == pytest.approx(3 * math.log(3) - 1.0)


def test_cusum_accumulates_floors_at_zero_and_caps() -> None:
    step = [-0.724607, 2.571234, 2.571234, -1.823216]
    s = np.zeros(1)
    path = []
    for llr in step:
        s = tails.cusum_step(s, np.array([llr]), cap=30.0)
        path.append(round(float(s[0]), 6))
    assert path == [0.0, 2.571234, 5.142468, 3.319252]
    assert tails.cusum_step(np.array([29.0]), np.array([5.0]), cap=30.0)[0] == 30.0
