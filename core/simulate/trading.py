"""Baseline trading for one store on one day: tickets drawn from the profiles, hour by hour and
station by station, with the rates any scenario knob sets for that station-hour.

Rates (per ticket, before knobs): refunds 1 % at registers and most of the service desk's traffic;
voids 1.2 % (Square: a card authorisation voided; Counterpoint: a post-void document linked to the
sale); cash 22 % (85 % at the event tent on event days). Refunds take a recent sale of the same
store, with a receipt look-up and a link to it.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from core.simulate import baskets, demand, pricing
from core.simulate.clock import at_local
from core.simulate.ids import derive, poisson
from core.simulate.knobs import Effect, Knobs
from core.simulate.model import Line, Ticket
from core.simulate.staffing import Shift
from core.simulate.world import SQUARE, Customer, Employee, Station, Store, World

REFUND_P = {"register": 0.01, "event": 0.004, "service": 0.6}
VOID_P, CASH_P, EVENT_CASH_P = 0.012, 0.22, 0.85
MAX_ROUTINE_VOIDS = 2
REASONS = {
    "garden": ("Plant died", "Damaged", "Changed mind", "Wrong item"),
    "retail": ("Wrong size", "Damaged", "Changed mind", "Gift return"),
}


@dataclass
class StoreState:
    """What a store remembers between days: recent sales that may come back as refunds."""

    recent: deque[Ticket] = field(default_factory=lambda: deque(maxlen=600))
    refunded: set[str] = field(default_factory=set)


def trade(
    world: World,
    store: Store,
    day: date,
    shifts: list[Shift],
    knobs: Knobs,
    state: StoreState,
    reserved: frozenset[str] = frozenset(),
) -> list[Ticket]:
    """``reserved`` customers only shop when a scenario says so (their history is the scenario)."""
    rng = derive(world.seed, "trade", store.key, day.isoformat())
    shares = demand.station_shares(store, day, world)
    customers = [c for c in world.customers_of(store.key) if c.tier != "EMPLOYEE" and c.key not in reserved]
    tickets: list[Ticket] = []
    voids: dict[str, int] = {}
    for hour in range(24):
        begin = at_local(day, hour, 0, 0, store.timezone)
        mean = demand.hourly_mean(world, store, day, hour)
        for station in store.stations:
            effect = knobs.at(store.key, station.key, begin)
            shift = next(
                (s for s in shifts if s.station.key == station.key and s.start <= begin < s.end), None
            )
            rate = mean * shares[station.key] * effect.ticket_mult if shift else 0.0
            if effect.ticket_rate is not None:
                rate = max(rate, effect.ticket_rate)
                shift = shift or _ghost(shifts, station.key)
            if shift is None:
                continue
            for _ in range(poisson(rng, rate)):
                at = begin + timedelta(seconds=rng.randrange(3600))
                ticket = _ticket(
                    world, store, day, shift, at, effect, customers, state, rng, len(tickets), voids
                )
                if ticket is not None:
                    tickets.extend(ticket)
    return tickets


def _ghost(shifts: list[Shift], station: str) -> Shift | None:
    """Off-hours traffic is rung up by whoever last worked the station."""
    own = [s for s in shifts if s.station.key == station]
    return own[-1] if own else None


def _ticket(
    world: World,
    store: Store,
    day: date,
    shift: Shift,
    at: datetime,
    effect: Effect,
    customers: list[Customer],
    state: StoreState,
    rng: random.Random,
    n: int,
    voids: dict[str, int],
) -> list[Ticket] | None:
    key = f"{store.key}/{day.isoformat()}/{shift.station.number}-{n:04d}"
    kind = shift.station.kind
    refund_p = effect.refund_p if effect.refund_p is not None else REFUND_P[kind] * effect.refund_mult
    if rng.random() < refund_p:
        return _refund(world, key, shift, at, state, rng)
    event = kind == "event" and demand.is_event_day(world, day)
    cash_p = effect.cash_p if effect.cash_p is not None else (EVENT_CASH_P if event else CASH_P)
    customer = rng.choice(customers) if customers and rng.random() < 0.35 else None
    if customer is not None and customer.created_at > at:
        customer = None
    sale = baskets.sale(world, key, shift, at, customer, day, rng)
    baskets.tender(sale, cash_p, rng, world, forced=effect.cash_p is not None)
    void_p = (effect.void_p if effect.void_p is not None else VOID_P) * effect.void_mult
    knobbed = effect.void_p is not None or effect.void_mult != 1.0
    # Routine voids stay under the void-cluster rule's three per session; only a knob exceeds that.
    if rng.random() < void_p and (knobbed or voids.get(shift.session.key, 0) < MAX_ROUTINE_VOIDS):
        voids[shift.session.key] = voids.get(shift.session.key, 0) + 1
        return _void(sale, rng)
    state.recent.append(sale)
    return [sale]


def _void(sale: Ticket, rng: random.Random) -> list[Ticket]:
    """Square: the card authorisation is voided (a card sale only). Counterpoint: a post-void
    document, linked to the sale, a few minutes after it."""
    if sale.store.vendor == SQUARE:
        if not any(p.method in ("CARD", "DEBIT") for p in sale.payments):
            return [sale]
        sale.canceled = True
        return [sale]
    void = Ticket(
        f"{sale.key}/void",
        sale.store,
        sale.station,
        sale.employee,
        sale.closed_at + timedelta(seconds=rng.randint(60, 600)),
        [
            Line(
                li.item,
                li.qty,
                li.price,
                li.reg_price,
                li.kind,
                li.override,
                li.reason,
                li.just,
                li.mix_match,
                li.promo,
            )
            for li in sale.lines
        ],
        payments=list(sale.payments),
        customer=sale.customer,
        kind="VOID",
        original=sale,
        exempt=sale.exempt,
        duration=30,
    )
    return [sale, pricing.finalize(void, sale.jurisdiction)]


def _refund(
    world: World, key: str, shift: Shift, at: datetime, state: StoreState, rng: random.Random
) -> list[Ticket] | None:
    candidates = [t for t in state.recent if t.key not in state.refunded and t.at < at - timedelta(hours=1)]
    if not candidates:
        return None
    original = rng.choice(candidates[-200:])
    state.refunded.add(original.key)
    return [refund_of(world, original, key, shift.station, shift.employee, at, rng)]


def refund_of(
    world: World,
    original: Ticket,
    key: str,
    station: Station,
    employee: Employee,
    at: datetime,
    rng: random.Random,
    whole: bool | None = None,
) -> Ticket:
    """A return of some (or all, ``whole``) of ``original``'s lines, paid back the way it was paid."""
    everything = whole if whole is not None else rng.random() < 0.4
    picked = list(range(len(original.lines))) if everything else [rng.randrange(len(original.lines))]
    lines = [
        Line(
            original.lines[n].item,
            original.lines[n].qty,
            original.lines[n].price,
            original.lines[n].reg_price,
            "R",
            mix_match=original.lines[n].mix_match,
            just=original.lines[n].just,
            source=n,
        )
        for n in picked
    ]
    ticket = Ticket(
        key,
        original.store,
        station,
        employee,
        at,
        lines,
        customer=original.customer,
        kind="RETURN",
        original=original,
        exempt=original.exempt,
        duration=rng.randint(60, 200),
        reason=rng.choice(REASONS[world.vertical]),
    )
    pricing.finalize(ticket, original.jurisdiction)
    first = original.payments[0] if original.payments else None
    method = first.method if first and first.method != "ACCOUNT" else "CASH"
    return pricing.pay(ticket, method, first.card if first else None)
