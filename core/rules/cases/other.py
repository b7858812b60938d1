"""Cases for the tax, customer-tier, mix-and-match and card-velocity families."""

from __future__ import annotations

from core.domain.parsing import DetectionEvent
from core.rules.cases import CP, SQ, case
from core.rules.examples import L, P, at, cp_customer, cp_mix_match_group, cp_ticket, square_txn

MEMPHIS = (("MEMPHIS", 200), ("SHELBY", 100), ("TN", 700))


def taxed_tickets(last: tuple[tuple[str, int], ...], history: int = 20) -> list[DetectionEvent]:
    out = [cp_ticket(f"tx{n}", at(10 * n), [L("SOIL", 10_000)], taxes=MEMPHIS) for n in range(history)]
    out.append(cp_ticket("odd", at(10 * history), [L("SOIL", 10_000)], taxes=last))
    return out


def trade_customer(amount: int, lines: int, history_days: int = 0) -> list[DetectionEvent]:
    """Five tickets of a landscaper; ``history_days``: the store's sales history starts that many days
    before them (with an unrelated item), so the landscaper's items are new to the catalog."""
    tickets = [
        cp_ticket(
            f"k{n}", at(days=n), [L(f"I{i}", amount // lines) for i in range(lines)], customer_no="L100"
        )
        for n in range(5)
    ]
    history = [cp_ticket("h0", at(days=-history_days), [L("SOIL", 1_000)])] if history_days else []
    return [cp_customer("L100", at(days=-60), tier="LANDSCAPER"), *history, *tickets]


CASES = {
    "Q-TC-01": (
        case(
            "a ticket taxed without the city authority the store always charges",
            CP,
            1,
            lambda: taxed_tickets((("SHELBY", 100), ("TN", 700))),
        ),
        case("a ticket taxed like every other", CP, 0, lambda: taxed_tickets(MEMPHIS)),
        case(
            "a store with too little history has no usual stack yet",
            CP,
            0,
            lambda: taxed_tickets((("SHELBY", 100), ("TN", 700)), history=5),
        ),
    ),
    "Q-TC-02": (
        case(
            "a tax-exempt landscaper's untaxed single 12-dollar item",
            CP,
            1,
            lambda: [
                cp_customer("L100", at(days=-60), tier="LANDSCAPER", tax_exempt=True),
                cp_ticket("q1", at(), [L("HAND-TROWEL", 1_200)], customer_no="L100"),
            ],
        ),
        case(
            "a tax-exempt landscaper's pallet order",
            CP,
            0,
            lambda: [
                cp_customer("L100", at(days=-60), tier="LANDSCAPER", tax_exempt=True),
                cp_ticket(
                    "q1",
                    at(),
                    [L("MULCH", 40_000), L("EDGING", 12_000), L("STONE", 30_000)],
                    customer_no="L100",
                ),
            ],
        ),
        case(
            "a customer without an exemption",
            CP,
            0,
            lambda: [
                cp_customer("R7", at(days=-60), tier="RETAIL", tax_exempt=False),
                cp_ticket("q1", at(), [L("HAND-TROWEL", 1_200)], customer_no="R7"),
            ],
        ),
    ),
    "Q-CT-01": (
        case(
            "a landscaper whose tickets are single 20-dollar items", CP, 1, lambda: trade_customer(2_000, 1)
        ),
        case("a landscaper buying 300-dollar multi-line orders", CP, 0, lambda: trade_customer(30_000, 3)),
        case(
            "items already selling when the history began are not new under a 30-day grace",
            CP,
            1,
            lambda: trade_customer(2_000, 1),
            new_item_grace_days=30,
        ),
        case(
            "single-item tickets of only items new to the catalog are left out under a 30-day grace",
            CP,
            0,
            lambda: trade_customer(2_000, 1, history_days=60),
            new_item_grace_days=30,
        ),
    ),
    "Q-CT-02": (
        case(
            "retail customer upgraded to wholesale two hours before a 1,500-dollar purchase",
            CP,
            1,
            lambda: [
                cp_customer("C9", at(days=-10), tier="RETAIL"),
                cp_customer("C9", at(), tier="WHOLESALE"),
                cp_ticket("big", at(hours=2), [L("GREENHOUSE", 150_000)], customer_no="C9"),
            ],
        ),
        case(
            "a tier change five days before the purchase",
            CP,
            0,
            lambda: [
                cp_customer("C9", at(days=-10), tier="RETAIL"),
                cp_customer("C9", at(days=-5), tier="WHOLESALE"),
                cp_ticket("big", at(), [L("GREENHOUSE", 150_000)], customer_no="C9"),
            ],
        ),
        case(
            "a tier change after the purchase is not a pre-purchase upgrade",
            CP,
            0,
            lambda: [
                cp_customer("C9", at(days=-10), tier="RETAIL"),
                cp_ticket("big", at(), [L("GREENHOUSE", 150_000)], customer_no="C9"),
                cp_customer("C9", at(hours=1), tier="WHOLESALE"),
            ],
        ),
    ),
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
