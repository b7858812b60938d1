"""Cases for Q-IS-01..04."""

from __future__ import annotations

from core.domain.parsing import ParsedEvent
from core.simulate.canonical import L, at, cp_receiver, cp_ticket, cp_transfer, cp_write_off
from tests.rules_cases import CP, case


def write_offs(last_week_units: float) -> list[ParsedEvent]:
    """Nine weeks of ten plants written off at 1 dollar each, then a tenth week of ``last_week_units``."""
    weekly = [cp_write_off(w, at(days=7 * w), 10, 100) for w in range(9)]
    return [*weekly, cp_write_off(99, at(days=63), last_week_units, 100)]


def seasonal_write_offs(this_week: float, peak_last_year: float, shift: int = 0) -> list[ParsedEvent]:
    """A year and a bit of weekly annuals write-offs (10 units at 3 dollars), last year's peak of
    ``peak_last_year`` units in the same week (``shift`` weeks later), then this week at
    ``this_week``. The item sells for the first time just before this week, so last year's
    write-offs were recorded before its category was known."""
    weekly = [
        cp_write_off(100 + w, at(days=7 * w), peak_last_year if w == -52 + shift else 10, 300)
        for w in range(-56, 0)
    ]
    first_sale = cp_ticket("s1", at(days=-1), [L("MUM-6IN", 900, category="ANNUALS")])
    return [*weekly, first_sale, cp_write_off(0, at(), this_week, 300)]


CASES = {
    "Q-IS-01": (
        case(
            "a receiver 10 % short of its purchase order",
            CP,
            1,
            lambda: [cp_receiver("R1", at(), [("FERN-4IN", 90, 100, 300)])],
        ),
        case(
            "a receiver within 1 % and a dollar of its PO",
            CP,
            0,
            lambda: [cp_receiver("R1", at(), [("FERN-4IN", 99, 100, 100)])],
        ),
    ),
    "Q-IS-02": (
        case(
            "a grower paid in cash at the back door goes to review",
            CP,
            1,
            lambda: [cp_receiver("R2", at(), [("MUM-6IN", 50, 50, 400)], cash_paid=True, cash_cents=20_000)],
        ),
        case(
            "a receiver paid on account",
            CP,
            0,
            lambda: [cp_receiver("R2", at(), [("MUM-6IN", 50, 50, 400)], cash_paid=False)],
        ),
    ),
    "Q-IS-03": (
        case(
            "a transfer that arrives 10 units short of 100",
            CP,
            1,
            lambda: [cp_transfer("X1", at(), "SENT", 100), cp_transfer("X1", at(hours=5), "RECEIVED", 90)],
        ),
        case(
            "a transfer received in full",
            CP,
            0,
            lambda: [cp_transfer("X1", at(), "SENT", 100), cp_transfer("X1", at(hours=5), "RECEIVED", 100)],
        ),
        case(
            "a transfer still in transit is not a loss", CP, 0, lambda: [cp_transfer("X1", at(), "SENT", 100)]
        ),
    ),
    "Q-IS-04": (
        case("a week of write-offs twenty times the usual", CP, 1, lambda: write_offs(200)),
        case("a week a little above the usual", CP, 0, lambda: write_offs(15)),
        case(
            "a spring week three times the trailing weeks, as in the same week last year",
            CP,
            0,
            lambda: seasonal_write_offs(30, 30),
            baseline="seasonal",
        ),
        case(
            "a spring peak a week earlier than last year's",
            CP,
            0,
            lambda: seasonal_write_offs(30, 30, shift=1),
            baseline="seasonal",
        ),
        case(
            "a spring week ten times the trailing weeks and three times last year's",
            CP,
            1,
            lambda: seasonal_write_offs(100, 30),
            baseline="seasonal",
        ),
    ),
}
