"""Cases for Q-DM-01..03."""

from __future__ import annotations

from core.simulate.canonical import L, at, cp_customer, cp_price_change, cp_store, cp_ticket, square_txn
from tests.rules_cases import CP, SQ, case

CASES = {
    "Q-DM-01": (
        case(
            "a Square line discounted 60 % passes the 50 % fallback ceiling",
            SQ,
            1,
            lambda: [square_txn("o1", at(), [L("SHEARS", 10_000, discount=6_000)])],
        ),
        case(
            "a Square line discounted 10 % stays under the ceiling",
            SQ,
            0,
            lambda: [square_txn("o1", at(), [L("SHEARS", 10_000, discount=1_000)])],
        ),
        case(
            "a Counterpoint override of 30 % passes the store's MAX_DISC_PCT of 20",
            CP,
            1,
            lambda: [
                cp_store(max_discount_pct=20.0, max_discount_cents=50_000),
                cp_ticket("a1", at(), [L("MAPLE", 7_000, regular=10_000, overridden=True)]),
            ],
        ),
        case(
            "a Counterpoint override of 100 dollars passes MAX_DISC_AMT of 50 dollars",
            CP,
            1,
            lambda: [
                cp_store(max_discount_pct=50.0, max_discount_cents=5_000),
                cp_ticket("a1", at(), [L("PATIO", 90_000, regular=100_000, overridden=True)]),
            ],
        ),
        case(
            "a wholesale account's 35 % tier override may exceed the store's MAX_DISC_PCT of 25",
            CP,
            0,
            lambda: [
                cp_store(max_discount_pct=25.0, max_discount_cents=10_000),
                cp_customer("W1", at(days=-90), tier="WHOLESALE"),
                cp_ticket("w1", at(), [L("MAPLE", 6_500, regular=10_000, overridden=True)], customer_no="W1"),
            ],
        ),
        case(
            "a wholesale account's 70 % override passes even the trade ceiling",
            CP,
            1,
            lambda: [
                cp_store(max_discount_pct=25.0, max_discount_cents=10_000),
                cp_customer("W1", at(days=-90), tier="WHOLESALE"),
                cp_ticket("w1", at(), [L("MAPLE", 3_000, regular=10_000, overridden=True)], customer_no="W1"),
            ],
        ),
        case(
            "a retail account's 35 % override passes the store's MAX_DISC_PCT of 25",
            CP,
            1,
            lambda: [
                cp_store(max_discount_pct=25.0, max_discount_cents=10_000),
                cp_customer("R1", at(days=-90), tier="RETAIL"),
                cp_ticket("r1", at(), [L("MAPLE", 6_500, regular=10_000, overridden=True)], customer_no="R1"),
            ],
        ),
        case(
            "a Counterpoint override of 10 % is inside the store's ceiling",
            CP,
            0,
            lambda: [
                cp_store(max_discount_pct=20.0, max_discount_cents=50_000),
                cp_ticket("a1", at(), [L("MAPLE", 9_000, regular=10_000, overridden=True)]),
            ],
        ),
    ),
    "Q-DM-02": (
        case(
            "a cashier marks a fern down and buys it two hours later",
            CP,
            1,
            lambda: [
                cp_price_change("FERN", at(), 2_000, 500),
                cp_ticket("b1", at(hours=2), [L("FERN", 500)]),
            ],
        ),
        case(
            "another user buys the marked-down fern",
            CP,
            0,
            lambda: [
                cp_price_change("FERN", at(), 2_000, 500),
                cp_ticket("b1", at(hours=2), [L("FERN", 500)], user="OTHER"),
            ],
        ),
        case(
            "the same user buys it 30 hours later, outside the 24 h window",
            CP,
            0,
            lambda: [
                cp_price_change("FERN", at(), 2_000, 500),
                cp_ticket("b1", at(hours=30), [L("FERN", 500)]),
            ],
        ),
    ),
    "Q-DM-03": (
        case(
            "a line sold at 5 dollars that cost 8",
            CP,
            1,
            lambda: [cp_ticket("c1", at(), [L("BAG-MULCH", 500, cost=800)])],
        ),
        case(
            "a line sold above its cost",
            CP,
            0,
            lambda: [cp_ticket("c1", at(), [L("BAG-MULCH", 900, cost=800)])],
        ),
        case(
            "a mix-and-match line below cost is left to the bundle rule",
            CP,
            0,
            lambda: [cp_ticket("c1", at(), [L("PANSY", 300, cost=500, mix="MM1")])],
        ),
    ),
}
