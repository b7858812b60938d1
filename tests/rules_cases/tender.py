"""Cases for Q-TM-01..03."""

from __future__ import annotations

from core.domain.parsing import ParsedEvent
from core.simulate.canonical import A, L, P, at, cp_drawer, cp_ticket, square_txn
from tests.rules_cases import CP, SQ, case


def square_payments_one_by_one(ref: str, amounts: list[int]) -> list[ParsedEvent]:
    """A Square ticket whose card payments each arrive as their own event (one ``payment.*`` webhook
    per card, each carrying only its own tender)."""
    out = []
    for n, amount in enumerate(amounts, start=1):
        event = square_txn(ref, at(n), [L("MOWER", sum(amounts))], [P("CARD", amount, f"fp{n}")])
        tenders = [{**t, "tender_no": f"pay-{ref}-{n}"} for t in event.facts["tenders"]]
        out.append(event.model_copy(update={"facts": {**event.facts, "tenders": tenders}}))
    return out


def square_days(last_day_cash: int, days: int = 7) -> list[ParsedEvent]:
    """A Square device whose business days are its sessions: five sales a day, one in five paid in cash,
    except the last day, which has ``last_day_cash`` of five in cash; a sale the next morning closes it."""
    out = []
    for day in range(days):
        cash = last_day_cash if day == days - 1 else 1
        for n in range(5):
            kind = "CASH" if n < cash else "CARD"
            out.append(
                square_txn(
                    f"d{day}n{n}", at(30 * n, days=day), [L("SOIL", 2_000)], [P(kind, 2_000, f"fp{n}")]
                )
            )
    out.append(square_txn("next", at(days=days), [L("SOIL", 2_000)]))
    return out


def counterpoint_sessions(
    last_session_cash: int, sessions: int = 7, last_sales: int = 5
) -> list[ParsedEvent]:
    """Counterpoint drawer sessions on one station, each closed by its drawer-close event: five sales,
    one in cash, except the last session, which has ``last_session_cash`` of ``last_sales`` in cash."""
    out = []
    for s in range(sessions):
        last = s == sessions - 1
        cash = last_session_cash if last else 1
        session = str(100 + s)
        for n in range(last_sales if last else 5):
            kind = "CASH" if n < cash else "CARD"
            out.append(
                cp_ticket(
                    f"s{s}n{n}", at(10 * n, days=s), [L("SOIL", 2_000)], [P(kind, 2_000)], session=session
                )
            )
        out.append(cp_drawer(session, state="CLOSED", opened=at(days=s), closed=at(hours=8, days=s)))
    return out


CASES = {
    "Q-TM-01": (
        case("a Square day all in cash against a 20 % cash baseline", SQ, 1, lambda: square_days(5)),
        case("a Square day at the station's usual cash share", SQ, 0, lambda: square_days(1)),
        case(
            "a Counterpoint drawer session all in cash against a 20 % baseline",
            CP,
            1,
            lambda: counterpoint_sessions(5),
        ),
        case("a Counterpoint session at the usual share", CP, 0, lambda: counterpoint_sessions(1)),
        case(
            "a station with too few earlier sessions has no baseline yet",
            CP,
            0,
            lambda: counterpoint_sessions(5, sessions=4),
        ),
        case(
            "a session of 30 sales, 27 in cash, against a 20 % baseline",
            CP,
            1,
            lambda: counterpoint_sessions(27, last_sales=30),
        ),
        case(
            "a session of 7 sales, 4 in cash: a small session's share is mostly chance",
            CP,
            0,
            lambda: counterpoint_sessions(4, last_sales=7),
        ),
    ),
    "Q-TM-02": (
        case(
            "a Square order first paid by card, then shown paid in cash",
            SQ,
            1,
            lambda: [
                square_txn("t1", at(), [L("TRELLIS", 5_000)], [P("CARD", 5_000, "fpA")]),
                square_txn("t1", at(), [L("TRELLIS", 5_000)], [P("CASH", 5_000)], version=2),
            ],
        ),
        case(
            "a Square order updated with the same card payment",
            SQ,
            0,
            lambda: [
                square_txn("t1", at(), [L("TRELLIS", 5_000)], [P("CARD", 5_000, "fpA")]),
                square_txn("t1", at(), [L("TRELLIS", 5_000)], [P("CARD", 5_000, "fpA")], version=2),
            ],
        ),
        case(
            "a Counterpoint ticket re-read with its card tender replaced by cash",
            CP,
            1,
            lambda: [
                cp_ticket("t1", at(), [L("TRELLIS", 5_000)], [P("CARD", 5_000)]),
                cp_ticket("t1", at(), [L("TRELLIS", 5_000)], [P("CASH", 5_000)], version=2),
            ],
        ),
        case(
            "a Counterpoint audit log recording a tender change to cash",
            CP,
            1,
            lambda: [
                cp_ticket(
                    "t1",
                    at(),
                    [L("TRELLIS", 5_000)],
                    [P("CASH", 5_000)],
                    audit=[A(0), A(20, entry="Changed tender VISA to CASH", activity="E")],
                )
            ],
        ),
        case(
            "a Counterpoint ticket paid in cash from the start",
            CP,
            0,
            lambda: [cp_ticket("t1", at(), [L("TRELLIS", 5_000)], [P("CASH", 5_000)], audit=[A(0)])],
        ),
    ),
    "Q-TM-03": (
        case(
            "a Square ticket split over three cards",
            SQ,
            1,
            lambda: [
                square_txn(
                    "f1",
                    at(),
                    [L("MOWER", 9_000)],
                    [P("CARD", 3_000, "fpA"), P("CARD", 3_000, "fpB"), P("CARD", 3_000, "fpC")],
                )
            ],
        ),
        case(
            "a Square ticket split over three cards, one payment webhook each",
            SQ,
            1,
            lambda: square_payments_one_by_one("f1", [3_000, 3_000, 3_000]),
        ),
        case(
            "two Square payment webhooks for one ticket",
            SQ,
            0,
            lambda: square_payments_one_by_one("f1", [4_500, 4_500]),
        ),
        case(
            "a Square ticket paid with two cards",
            SQ,
            0,
            lambda: [
                square_txn(
                    "f1", at(), [L("MOWER", 9_000)], [P("CARD", 4_500, "fpA"), P("CARD", 4_500, "fpB")]
                )
            ],
        ),
        case(
            "a Counterpoint ticket paid with cash, a gift card and a card",
            CP,
            1,
            lambda: [
                cp_ticket(
                    "f1",
                    at(),
                    [L("MOWER", 6_000)],
                    [P("CASH", 2_000), P("GIFT_CARD", 2_000), P("CARD", 2_000)],
                )
            ],
        ),
        case(
            "a small Counterpoint ticket in three tenders is under the total threshold",
            CP,
            0,
            lambda: [
                cp_ticket(
                    "f1",
                    at(),
                    [L("SEED", 3_000)],
                    [P("CASH", 1_000), P("GIFT_CARD", 1_000), P("CARD", 1_000)],
                )
            ],
        ),
    ),
}
