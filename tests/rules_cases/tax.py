"""Cases for the tax-compliance family (``core/rules/families/tax.py``)."""

from __future__ import annotations

from core.domain.parsing import ParsedEvent
from core.simulate.canonical import L, at, cp_customer, cp_ticket
from tests.rules_cases import CP, case

MEMPHIS = (("MEMPHIS", 200), ("SHELBY", 100), ("TN", 700))


def taxed_tickets(last: tuple[tuple[str, int], ...], history: int = 20) -> list[ParsedEvent]:
    out = [cp_ticket(f"tx{n}", at(10 * n), [L("SOIL", 10_000)], taxes=MEMPHIS) for n in range(history)]
    out.append(cp_ticket("odd", at(10 * history), [L("SOIL", 10_000)], taxes=last))
    return out


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
}
