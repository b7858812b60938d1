"""Cases for Q-ME-01..02."""

from __future__ import annotations

from core.simulate.canonical import L, at, cp_category, cp_ticket, square_txn
from tests.rules_cases import CP, SQ, case

CASES = {
    "Q-ME-01": (
        case(
            "five lines at 20 % margin in a 40 % category, 50 dollars short in the week",
            CP,
            1,
            lambda: [
                cp_category("PLANTS", 40.0, 55.0),
                cp_ticket(
                    "g1", at(), [L(f"SHRUB{n}", 5_000, cost=4_000, category="PLANTS") for n in range(5)]
                ),
            ],
        ),
        case(
            "lines above the category minimum",
            CP,
            0,
            lambda: [
                cp_category("PLANTS", 40.0, 55.0),
                cp_ticket(
                    "g1", at(), [L(f"SHRUB{n}", 5_000, cost=2_000, category="PLANTS") for n in range(5)]
                ),
            ],
        ),
        case(
            "low-margin mix-and-match lines are left out when the pack says so",
            CP,
            0,
            lambda: [
                cp_category("PLANTS", 40.0, 55.0),
                cp_ticket(
                    "g1",
                    at(),
                    [L(f"SHRUB{n}", 5_000, cost=4_000, category="PLANTS", mix="MM1") for n in range(5)],
                ),
            ],
            exclude_mix_match_lines=True,
        ),
        case(
            "items already selling when the history began are not new under a 30-day grace",
            CP,
            1,
            lambda: [
                cp_category("PLANTS", 40.0, 55.0),
                cp_ticket(
                    "g1", at(), [L(f"SHRUB{n}", 5_000, cost=4_000, category="PLANTS") for n in range(5)]
                ),
            ],
            new_item_grace_days=30,
        ),
        case(
            "items first sold 40 days into the history are new for 30 days",
            CP,
            0,
            lambda: [
                cp_category("PLANTS", 40.0, 55.0),
                cp_ticket("g0", at(days=-40), [L("SOIL", 5_000, cost=2_000, category="PLANTS")]),
                cp_ticket(
                    "g1", at(), [L(f"SHRUB{n}", 5_000, cost=4_000, category="PLANTS") for n in range(5)]
                ),
            ],
            new_item_grace_days=30,
        ),
    ),
    "Q-ME-02": (
        case(
            "a Square cashier comps three items in one day",
            SQ,
            1,
            lambda: [
                square_txn("z1", at(), [L(f"POT{n}", 1_500, discount=1_500) for n in range(3)], tenders=[])
            ],
        ),
        case(
            "two comped items stay under the minimum",
            SQ,
            0,
            lambda: [
                square_txn("z1", at(), [L(f"POT{n}", 1_500, discount=1_500) for n in range(2)], tenders=[])
            ],
        ),
        case(
            "three Counterpoint lines overridden to zero in one drawer session",
            CP,
            1,
            lambda: [
                cp_ticket("z1", at(), [L("POT1", 0, regular=1_500, overridden=True)]),
                cp_ticket(
                    "z2",
                    at(20),
                    [
                        L("POT2", 0, regular=1_500, overridden=True),
                        L("POT3", 0, regular=1_500, overridden=True),
                    ],
                ),
            ],
        ),
        case(
            "zero-priced lines without an override (a promotion's free item)",
            CP,
            0,
            lambda: [cp_ticket("z1", at(), [L(f"POT{n}", 0, regular=1_500) for n in range(3)])],
        ),
        case(
            "free promotional items: discounted to zero, HAS_PRC_OVRD = N",
            CP,
            0,
            lambda: [
                cp_ticket("z1", at(), [L(f"POT{n}", 0, regular=1_500, discount=1_500) for n in range(3)])
            ],
        ),
    ),
}
