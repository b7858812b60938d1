"""Cases for Q-DS-01..03."""

from __future__ import annotations

from core.simulate.canonical import L, P, at, cp_drawer, cp_store, cp_ticket, square_drawer, square_txn
from tests.rules_cases import CP, SQ, case

CASES = {
    "Q-DS-01": (
        case(
            "a Square drawer closed 30 dollars short",
            SQ,
            1,
            lambda: [square_drawer("sh1", opened=at(), closed=at(hours=8), expected=50_000, counted=47_000)],
        ),
        case(
            "a Square drawer 50 cents off",
            SQ,
            0,
            lambda: [square_drawer("sh1", opened=at(), closed=at(hours=8), expected=50_000, counted=49_950)],
        ),
        case(
            "a Counterpoint drawer session reconciled 3 % short",
            CP,
            1,
            lambda: [
                cp_drawer(
                    "41", state="CLOSED", opened=at(), closed=at(hours=8), expected=20_000, counted=19_400
                )
            ],
        ),
        case(
            "a Counterpoint drawer that balances",
            CP,
            0,
            lambda: [
                cp_drawer(
                    "41", state="CLOSED", opened=at(), closed=at(hours=8), expected=20_000, counted=20_000
                )
            ],
        ),
    ),
    "Q-DS-02": (
        case(
            "a Square cash payment logged an hour after the shift closed",
            SQ,
            1,
            lambda: [
                square_drawer(
                    "sh1",
                    opened=at(),
                    closed=at(hours=8),
                    expected=10_000,
                    counted=10_000,
                    events=[("NO_SALE", at(hours=3), 0), ("CASH_TENDER_PAYMENT", at(hours=9), 2_000)],
                )
            ],
        ),
        case(
            "a Square paid-out an hour after its shift closed",
            SQ,
            1,
            lambda: [
                square_drawer("sh1", opened=at(), closed=at(hours=8), expected=10_000, counted=10_000),
                square_txn("po1", at(hours=9), tenders=[P("CASH", 2_000)], type="PAID_OUT", shift="sh1"),
            ],
        ),
        case(
            "Square drawer events all inside the shift",
            SQ,
            0,
            lambda: [
                square_drawer(
                    "sh1",
                    opened=at(),
                    closed=at(hours=8),
                    expected=10_000,
                    counted=10_000,
                    events=[("NO_SALE", at(hours=3), 0), ("PAID_OUT", at(hours=7), 2_000)],
                )
            ],
        ),
        case(
            "a Counterpoint ticket rung in session 41 an hour after it closed",
            CP,
            1,
            lambda: [
                cp_drawer("41", state="CLOSED", opened=at(), closed=at(hours=8)),
                cp_ticket("late", at(hours=9), [L("GLOVES", 1_500)]),
            ],
        ),
        case(
            "a Counterpoint ticket ten minutes after close is inside the grace window",
            CP,
            0,
            lambda: [
                cp_drawer("41", state="CLOSED", opened=at(), closed=at(hours=8)),
                cp_ticket("late", at(hours=8, minutes=10), [L("GLOVES", 1_500)]),
            ],
        ),
    ),
    "Q-DS-03": (
        case(
            "a drawer session seen closed reports open again",
            CP,
            1,
            lambda: [
                cp_drawer("41", state="CLOSED", opened=at(), closed=at(hours=8)),
                cp_drawer("41", state="OPEN", opened=at(), closed=None, version=2, updated=at(hours=9)),
            ],
        ),
        case(
            "a reactivated session at a store that forbids it",
            CP,
            1,
            lambda: [
                cp_store(allow_drawer_reactivation=False),
                cp_drawer("41", state="OPEN", opened=at(), reactivated=True),
            ],
        ),
        case(
            "a reactivation the store allows, with allowed reactivations not flagged",
            CP,
            0,
            lambda: [
                cp_store(allow_drawer_reactivation=True),
                cp_drawer("41", state="OPEN", opened=at(), reactivated=True),
            ],
            flag_when_store_allows=False,
        ),
        case(
            "a session opened and closed once",
            CP,
            0,
            lambda: [
                cp_drawer("41", state="OPEN", opened=at()),
                cp_drawer("41", state="CLOSED", opened=at(), closed=at(hours=8), version=2),
            ],
        ),
    ),
}
