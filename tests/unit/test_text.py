"""``core.text.money``: the amount a summary or prose shows, from integer minor units."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.text import money


@pytest.mark.parametrize(
    ("cents", "currency", "shown"),
    [
        (51648, "USD", "$516.48"),
        (0, "USD", "$0.00"),
        (5, "USD", "$0.05"),
        (-50, "USD", "-$0.50"),
        (123456789, "usd", "$1,234,567.89"),
        (1999.6, "EUR", "€20.00"),  # an average is rounded to the cent
        (123450, "CHF", "1,234.50 CHF"),
        (1500, "JPY", "1,500 JPY"),  # no minor unit: the amount is whole yen
    ],
)
def test_money_reads_as_currency(cents: float, currency: str, shown: str) -> None:
    assert money(cents, currency) == shown


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_money_round_trips_to_the_cent(cents: int) -> None:
    shown = money(cents)
    sign = -1 if shown.startswith("-") else 1
    assert "cents" not in shown
    assert sign * round(float(shown.lstrip("-$").replace(",", "")) * 100) == cents
