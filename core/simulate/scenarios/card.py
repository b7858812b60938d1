"""Card velocity (C-005, from R): one card fingerprint across customers and locations, on Square
(``payment.card_details.card.fingerprint``; Counterpoint keeps no card fingerprint)."""

from __future__ import annotations

from datetime import timedelta

from core.simulate import baskets, pricing
from core.simulate.model import Ticket
from core.simulate.scenarios import kit
from core.simulate.scenarios.base import POSITIVE, Entity, Planner
from core.simulate.world import SQUARE


def card_velocity(planner: Planner) -> None:
    """C-005 CARD_VELOCITY: a card fingerprint used by several customer profiles (and, where the
    merchant has more than one Square store, at several locations) within hours: a shared or tested
    stolen card. Four customers, one card, five hours."""
    stores = planner.world.stores_of(SQUARE)
    if not stores:
        planner.plan.skipped.append(planner.type)
        return
    day = planner.day(0.3, 0.8)
    card = baskets.walk_in_card(planner.world, planner.key("c005/card"), planner.rng)
    tickets: list[Ticket] = []
    first = None
    for n in range(4):
        store = stores[n % len(stores)]
        people = [c for c in planner.world.customers_of(store.key) if c.created_at.date() < day]
        customer = planner.rng.choice(people)
        shift = planner.shift(store, day, block=2 if n >= 2 else 1)
        at = kit.within(planner, shift)
        first = first or at
        ticket = kit.sale(planner, f"c005/{n}", shift, at, kit.plain(planner, 2), customer, "CASH")
        pricing.pay(ticket, "CARD", card, "KEYED")
        planner.inject(store, day, ticket)
        tickets.append(ticket)
    tickets.sort(key=lambda t: t.at)
    planner.label(
        "C-005",
        POSITIVE,
        Entity("card", card.fingerprint),
        tickets[0].at,
        tickets[-1].closed_at + timedelta(minutes=1),
        stores[0],
        tickets,
        note=f"one fingerprint, {len(tickets)} customers, {len({t.store.key for t in tickets})} location(s)",
    )


SCENARIOS = (card_velocity,)
