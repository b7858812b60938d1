"""Cases for the mix-and-match family (``core/rules/families/mix_match.py``)."""

from __future__ import annotations

from core.simulate.canonical import L, at, cp_mix_match_group, cp_ticket
from tests.rules_cases import CP, case

CASES = {
    "Q-MM-01": (
        case(
            "a mix-and-match bundle that sells below its cost",
            CP,
            1,
            lambda: [
                cp_ticket(
                    "mm", at(), [L("PANSY", 300, cost=500, mix="MM1"), L("VIOLA", 300, cost=400, mix="MM1")]
                )
            ],
        ),
        case(
            "one cheap line inside a profitable bundle",
            CP,
            0,
            lambda: [
                cp_ticket(
                    "mm", at(), [L("PANSY", 300, cost=500, mix="MM1"), L("VIOLA", 900, cost=400, mix="MM1")]
                )
            ],
        ),
    ),
    "Q-MM-02": (
        case(
            "a rose rung with the fern-and-ivy mix-and-match code",
            CP,
            1,
            lambda: [
                cp_mix_match_group("MM1", ["FERN", "IVY"]),
                cp_ticket("mm", at(), [L("ROSE", 500, mix="MM1")]),
            ],
        ),
        case(
            "a fern rung with its own group's code",
            CP,
            0,
            lambda: [
                cp_mix_match_group("MM1", ["FERN", "IVY"]),
                cp_ticket("mm", at(), [L("FERN", 500, mix="MM1")]),
            ],
        ),
        case(
            "a code whose group is unknown is not judged",
            CP,
            0,
            lambda: [cp_ticket("mm", at(), [L("ROSE", 500, mix="MM9")])],
        ),
    ),
}
