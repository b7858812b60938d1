"""Cases for the customer-tier family (``core/rules/families/customer_tier.py``)."""

from __future__ import annotations

from core.domain.parsing import ParsedEvent
from core.simulate.canonical import L, at, cp_customer, cp_ticket
from tests.rules_cases import CP, case


def trade_customer(amount: int, lines: int, history_days: int = 0) -> list[ParsedEvent]:
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
}
