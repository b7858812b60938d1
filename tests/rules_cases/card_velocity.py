"""Cases for the card-velocity family (``core/rules/families/card_velocity.py``)."""

from __future__ import annotations

from core.simulate.canonical import L, P, at, square_txn
from tests.rules_cases import SQ, case

CASES = {
    "C-005": (
        case(
            "one card used by three customers within two hours",
            SQ,
            1,
            lambda: [
                square_txn(
                    f"c{n}", at(40 * n), [L("GIFTSET", 5_000)], [P("CARD", 5_000, "fpX")], customer=f"CU{n}"
                )
                for n in range(3)
            ],
        ),
        case(
            "one card used three times by the same customer",
            SQ,
            0,
            lambda: [
                square_txn(
                    f"c{n}", at(40 * n), [L("GIFTSET", 5_000)], [P("CARD", 5_000, "fpX")], customer="CU1"
                )
                for n in range(3)
            ],
        ),
    ),
}
