"""The plot's guide band (core/bubble/service/plot.py) against hand-computed quantiles, and the ISO
week parser."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.bubble.service.plot import PlotError, band, week_start


def test_the_band_is_a_poisson_range_for_counts_and_a_binomial_one_for_rates() -> None:
    # Poisson(4): P(X ≤ 0) = 0.018, P(X ≤ 1) = 0.092 → 5 % quantile 1; P(X ≤ 7) = 0.949, P(X ≤ 8) = 0.979 → 8
    assert band("transactions", 4.0, 4) == (1.0, 8.0)
    # Binomial(10, 0.2) for 2 expected voids in 10 sales: P(X ≤ 0) = 0.107 → 0; P(X ≤ 4) = 0.967 → 4
    assert band("void_rate", 2.0, 10) == (0.0, 4.0)
    assert band("refund_rate", 0.0, 0) == (0.0, 0.0)  # no sales, no refunds to expect
    assert band("avg_ticket", 4_500.0, 10) is None  # a mean: its expected line only


def test_an_iso_week_is_its_monday_and_a_bad_one_is_named() -> None:
    assert week_start("2026-W11") == datetime(2026, 3, 9, tzinfo=UTC)
    assert week_start("2026-W01") == datetime(2025, 12, 29, tzinfo=UTC)
    with pytest.raises(PlotError, match="ISO year and week"):
        week_start("2026-11")
    with pytest.raises(PlotError, match="2027 has no ISO week 53"):
        week_start("2027-W53")
