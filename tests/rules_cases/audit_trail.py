"""Cases for the audit-trail family, Q-AT-01..03."""

from __future__ import annotations

from core.domain.parsing import ParsedEvent
from core.simulate.canonical import A, L, at, cp_ticket, square_txn
from tests.rules_cases import CP, SQ, case


def override_weeks(last_week: int) -> list[ParsedEvent]:
    """Four weeks of two price overrides each, then a week with ``last_week`` of them."""
    out = [
        cp_ticket(
            f"w{w}", at(days=7 * w), [L(f"ITEM{n}", 900, regular=1_000, overridden=True) for n in range(2)]
        )
        for w in range(4)
    ]
    out.append(
        cp_ticket(
            "w4", at(days=28), [L(f"ITEM{n}", 900, regular=1_000, overridden=True) for n in range(last_week)]
        )
    )
    return out


CASES = {
    "Q-AT-01": (
        case(
            "a committed Counterpoint ticket edited half an hour later",
            CP,
            1,
            lambda: [
                cp_ticket(
                    "e1",
                    at(),
                    [L("PAVER", 4_000)],
                    audit=[A(0), A(30, entry="Changed line 1 quantity", activity="E")],
                )
            ],
        ),
        case(
            "a receipt reprinted after commit changes nothing",
            CP,
            0,
            lambda: [
                cp_ticket(
                    "e1",
                    at(),
                    [L("PAVER", 4_000)],
                    audit=[A(0), A(30, entry="Reprinted receipt", activity="P")],
                )
            ],
        ),
        case(
            "a completed Square order whose total later drops",
            SQ,
            1,
            lambda: [
                square_txn("e1", at(), [L("PAVER", 5_000)]),
                square_txn("e1", at(), [L("PAVER", 3_000)], version=2),
            ],
        ),
        case(
            "a completed Square order re-sent unchanged",
            SQ,
            0,
            lambda: [
                square_txn("e1", at(), [L("PAVER", 5_000)]),
                square_txn("e1", at(), [L("PAVER", 5_000)], version=2),
            ],
        ),
    ),
    "Q-AT-02": (
        case(
            "a ticket handled on three registers",
            CP,
            1,
            lambda: [
                cp_ticket(
                    "m1",
                    at(),
                    [L("BIRDBATH", 9_000)],
                    audit=[A(0, "REG1"), A(5, "REG2", "Recalled ticket", "R"), A(9, "REG3", "Completed")],
                )
            ],
        ),
        case(
            "a layaway release crosses three stations by design",
            CP,
            0,
            lambda: [
                cp_ticket(
                    "m1",
                    at(),
                    [L("BIRDBATH", 9_000)],
                    release=True,
                    audit=[A(0, "REG1"), A(5, "REG2", "Recalled ticket", "R"), A(9, "REG3", "Completed")],
                )
            ],
        ),
        case(
            "a ticket on two stations",
            CP,
            0,
            lambda: [cp_ticket("m1", at(), [L("BIRDBATH", 9_000)], audit=[A(0, "REG1"), A(5, "REG2")])],
        ),
    ),
    "Q-AT-03": (
        case("twelve overrides in a week against a usual two", CP, 1, lambda: override_weeks(12)),
        case("five overrides in a week stay under the minimum of ten", CP, 0, lambda: override_weeks(5)),
    ),
}
