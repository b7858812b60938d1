"""What a customer buys and how they pay: a basket drawn from the season's category mix (trade
accounts buy trade quantities), priced at their tier, a promotion or list (rarely a 5 % price match),
sometimes with a mix-and-match bundle, tendered in cash, by card or on account."""

from __future__ import annotations

import random
from datetime import date, datetime

from core.simulate import demand, pricing
from core.simulate.ids import Ids
from core.simulate.model import Line, Ticket
from core.simulate.people import make_card
from core.simulate.staffing import Shift
from core.simulate.world import COUNTERPOINT, Card, Customer, Item, World

PRICE_MATCH_P = 0.004
MAX_LINE_DISCOUNT = 9_900  # a tier line's discount stays under every store's MAX_DISC_AMT ($100)


def basket(world: World, day: date, customer: Customer | None, rng: random.Random) -> list[tuple[Item, int]]:
    trade_customer = customer is not None and customer.tier in ("WHOLESALE", "LANDSCAPER")
    count = rng.randint(3, 7) if trade_customer else min(8, 1 + int(rng.expovariate(0.9)))
    weights = demand.category_weights(world, day)
    chosen = []
    for _ in range(count):
        category = rng.choices([c for c, _ in weights], [w for _, w in weights])[0]
        item = rng.choice(world.items_in(category.code))
        qty = (
            rng.randint(4, 20)
            if trade_customer
            else 1
            if item.price >= 4000
            else rng.choice((1, 1, 1, 1, 2, 2, 3))
        )
        chosen.append((item, qty))
    return chosen


def sale(
    world: World,
    key: str,
    shift: Shift,
    at: datetime,
    customer: Customer | None,
    day: date,
    rng: random.Random,
) -> Ticket:
    lines: list[Line] = []
    for item, qty in basket(world, day, customer, rng):
        if (customer is None or customer.tier == "RETAIL") and rng.random() < PRICE_MATCH_P:
            lines.append(pricing.override(item, qty, 5, "PRICEMATCH"))
            continue
        line = pricing.line(world, item, qty, day, customer)
        if line.discount > MAX_LINE_DISCOUNT:
            line.qty = max(1, MAX_LINE_DISCOUNT // max(1, line.reg_price - line.price))
        lines.append(line)
    group = world.mix_matches[rng.randrange(len(world.mix_matches))] if world.mix_matches else None
    if group is not None and rng.random() < 0.03 and customer is None:
        lines += pricing.bundle(
            group, [world.item_by_sku[rng.choice(group.members)] for _ in range(group.size)]
        )
    ticket = Ticket(
        key,
        world.store_by_key[shift.station.store],
        shift.station,
        shift.employee,
        at,
        lines,
        customer=customer,
        exempt=bool(customer and customer.tax_exempt),
        duration=rng.randint(40, 240),
    )
    return pricing.finalize(ticket)


def tender(ticket: Ticket, cash_p: float, rng: random.Random, world: World, forced: bool = False) -> None:
    """Trade accounts pay on account or by card, never in cash, unless a knob forces the cash share
    of the station (then everyone at that till pays cash at the knob's rate)."""
    customer = ticket.customer
    retail = customer is None or customer.tier == "RETAIL"
    if forced and rng.random() < cash_p:
        pricing.pay(ticket, "CASH")
        return
    if ticket.store.vendor == COUNTERPOINT and not retail and rng.random() < 0.5:
        pricing.pay(ticket, "ACCOUNT")
        return
    if not forced and retail and rng.random() < cash_p:
        pricing.pay(ticket, "CASH")
        return
    card = customer.cards[0] if customer and customer.cards else walk_in_card(world, ticket.key, rng)
    method = "DEBIT" if card.card_type == "DEBIT" else "CARD"
    if ticket.total > 4000 and rng.random() < 0.02:
        pricing.split(ticket, [("CASH", None), (method, card)], rng.choice(("EMV", "CONTACTLESS")))
    else:
        pricing.pay(ticket, method, card, rng.choice(("EMV", "EMV", "CONTACTLESS", "CONTACTLESS", "SWIPED")))


def walk_in_card(world: World, key: str, rng: random.Random) -> Card:
    return make_card(rng, Ids(world.seed), f"walk-in/{key}", False)
