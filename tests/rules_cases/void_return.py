"""Cases for Q-VR-01..03."""

from __future__ import annotations

from core.simulate.canonical import A, L, P, at, cp_ticket, square_txn
from tests.rules_cases import CP, SQ, case

CASES = {
    "Q-VR-01": (
        case(
            "a voided ticket whose original-document array is present and empty",
            CP,
            1,
            lambda: [cp_ticket("v1", at(), [L("HOSE", 4_000)], voided=True, refs=[], audit=[A(0), A(5)])],
        ),
        case(
            "a voided ticket that links its original document",
            CP,
            0,
            lambda: [
                cp_ticket("v1", at(), [L("HOSE", 4_000)], voided=True, refs=["100234"], audit=[A(0), A(5)])
            ],
        ),
        case(
            "a voided ticket from a payload with no original-document array is a gap, not a finding",
            CP,
            0,
            lambda: [cp_ticket("v1", at(), [L("HOSE", 4_000)], voided=True, refs=None, audit=[A(0), A(5)])],
        ),
        case(
            "a training-mode ticket is never flagged",
            CP,
            0,
            lambda: [
                cp_ticket(
                    "v1", at(), [L("HOSE", 4_000)], voided=True, refs=[], ticket_type="X", audit=[A(0), A(5)]
                )
            ],
            training_ticket_types=("X",),
        ),
    ),
    "Q-VR-02": (
        case(
            "a Square refund with no link to the original payment",
            SQ,
            1,
            lambda: [square_txn("r1", at(), tenders=[P("CASH", 2_500)], type="REFUND")],
        ),
        case(
            "a Square refund issued from the original payment",
            SQ,
            0,
            lambda: [square_txn("r1", at(), tenders=[P("CASH", 2_500)], type="REFUND", refund_of="s1")],
        ),
        case(
            "a Counterpoint return with no look-up in its audit log",
            CP,
            1,
            lambda: [
                cp_ticket(
                    "r1",
                    at(),
                    [L("RAKE", 2_500, qty=-1, line_type="RETURN")],
                    refs=[],
                    audit=[A(0), A(1, entry="Added return line")],
                )
            ],
        ),
        case(
            "a Counterpoint return after the original ticket was looked up",
            CP,
            0,
            lambda: [
                cp_ticket(
                    "r1",
                    at(),
                    [L("RAKE", 2_500, qty=-1, line_type="RETURN")],
                    refs=[],
                    audit=[
                        A(0, entry="Looked up original ticket 1-100234", activity="L"),
                        A(1, entry="Added return line"),
                    ],
                )
            ],
        ),
        case(
            "a Counterpoint return that references its original document",
            CP,
            0,
            lambda: [
                cp_ticket(
                    "r1", at(), [L("RAKE", 2_500, qty=-1, line_type="RETURN")], refs=["100234"], audit=[A(0)]
                )
            ],
        ),
    ),
    "Q-VR-03": (
        case(
            "one Square employee voids three sales on one device within the hour",
            SQ,
            1,
            lambda: [square_txn(f"x{i}", at(15 * i), [L("SEED", 800)], type="VOID") for i in range(3)],
        ),
        case(
            "three voids by three different Square employees",
            SQ,
            0,
            lambda: [
                square_txn(f"x{i}", at(15 * i), [L("SEED", 800)], type="VOID", employee=f"TM{i}")
                for i in range(3)
            ],
        ),
        case(
            "one Counterpoint user voids three tickets in drawer session 41",
            CP,
            1,
            lambda: [
                cp_ticket(f"x{i}", at(10 * i), [L("SEED", 800)], voided=True, refs=["1"]) for i in range(3)
            ],
        ),
        case(
            "three voids spread over three drawer sessions",
            CP,
            0,
            lambda: [
                cp_ticket(f"x{i}", at(10 * i), [L("SEED", 800)], voided=True, refs=["1"], session=f"4{i}")
                for i in range(3)
            ],
        ),
    ),
}
