"""Pricing a line and totalling a ticket: tier price levels, promotions, price overrides, mix-and-match
bundles and the per-authority tax stack.

Routine pricing is chosen so it never trips a rule on its own (module docstring of ``verticals``):
a tier discount is the category's head-room between target and minimum margin less five points, a
price match is at most 5 %, and a bundle's lines are allocated so none is sold below cost.
"""

from __future__ import annotations

from datetime import date

from core.simulate import demand
from core.simulate.model import Line, Payment, Ticket
from core.simulate.world import Card, Customer, Item, Jurisdiction, MixMatch, World

TIER_LEVEL = {"WHOLESALE": "Price-2", "LANDSCAPER": "Price-3"}
BUNDLE_LAST_PCT = 24  # under every store's MAX_DISC_PCT (25 or 30)


def tier_pct(world: World, item: Item) -> int:
    category = world.category_by_code[item.category]
    return max(0, min(15, category.trgt_pct - category.min_pct - 5))


def line(world: World, item: Item, qty: int, day: date, customer: Customer | None) -> Line:
    """An ordinary line: the customer's tier price level, else a running promotion, else list."""
    tier = customer.tier if customer else "RETAIL"
    if tier in TIER_LEVEL:
        price = _off(item.price, tier_pct(world, item))
        return Line(item, qty, price, item.price, just=TIER_LEVEL[tier])
    promo = demand.promotion(world, day, item.category)
    if promo is not None:
        return Line(
            item, qty, _off(item.price, promo.pct), item.price, just=f"Promo {promo.code}", promo=promo.code
        )
    return Line(item, qty, item.price, item.price)


def override(item: Item, qty: int, pct: float, reason: str) -> Line:
    """A price the cashier typed: ``pct`` off list (100 means free)."""
    return Line(
        item, qty, _off(item.price, pct), item.price, override=True, reason=reason, just="Manual price"
    )


def override_to(item: Item, qty: int, price: int, reason: str) -> Line:
    return Line(item, qty, price, item.price, override=True, reason=reason, just="Manual price")


def bundle(group: MixMatch, items: list[Item]) -> list[Line]:
    """A mix-and-match bundle: the bundle discount lands on the last line first (up to
    ``BUNDLE_LAST_PCT`` off its list price) and the rest is spread over the others. The last line
    therefore sits below its category's minimum margin by design while the bundle as a whole
    clears it, and no line is discounted past a store's ceiling or sold below cost (seed Q.6.5)."""
    rest, last = items[:-1], items[-1]
    discount = sum(i.price for i in items) - group.price
    last_off = min(discount, last.price * BUNDLE_LAST_PCT // 100)
    share, spare = divmod(discount - last_off, len(rest))
    lines = [
        Line(
            item,
            1,
            item.price - share - (spare if n == 0 else 0),
            item.price,
            just=f"Mix-match {group.code}",
            mix_match=group.code,
        )
        for n, item in enumerate(rest)
    ]
    lines.append(
        Line(last, 1, last.price - last_off, last.price, just=f"Mix-match {group.code}", mix_match=group.code)
    )
    return lines


def _off(price: int, pct: float) -> int:
    return int(price * (100 - pct) / 100 + 0.5)


def round_half_up(numerator: int, denominator: int) -> int:
    sign = -1 if numerator < 0 else 1
    return sign * ((abs(numerator) * 2 + denominator) // (2 * denominator))


def finalize(ticket: Ticket, jurisdiction: Jurisdiction | None = None) -> Ticket:
    """Taxes per authority on the taxable subtotal (none when the ticket is exempt)."""
    stack = jurisdiction or ticket.jurisdiction or ticket.store.jurisdiction
    if ticket.jurisdiction is None and jurisdiction is not None:
        ticket.jurisdiction = jurisdiction
    taxable = ticket.subtotal
    ticket.taxes = (
        []
        if ticket.exempt
        else [
            (authority, taxable, round_half_up(taxable * authority.rate_bp, 10_000))
            for authority in stack.authorities
        ]
    )
    return ticket


def pay(ticket: Ticket, method: str, card: Card | None = None, entry: str = "EMV") -> Ticket:
    ticket.payments = [
        Payment(method, abs(ticket.total), card if method in ("CARD", "DEBIT") else None, entry)
    ]
    return ticket


def split(ticket: Ticket, parts: list[tuple[str, Card | None]], entry: str = "EMV") -> Ticket:
    """The total spread over several tenders, the first taking the odd cents."""
    total = abs(ticket.total)
    share, spare = divmod(total, len(parts))
    ticket.payments = [
        Payment(method, share + (spare if n == 0 else 0), card, entry, delay=40 * n)
        for n, (method, card) in enumerate(parts)
    ]
    return ticket
