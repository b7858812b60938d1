"""Building blocks the scenario modules share: a sale rung by a given shift, a return of it, a
post-void, an extra audit row, and entity helpers."""

from __future__ import annotations

from datetime import datetime, timedelta

from core.simulate import baskets, pricing, trading
from core.simulate.model import Audit, Line, Ticket
from core.simulate.scenarios.base import Entity, Planner
from core.simulate.staffing import Shift
from core.simulate.vocab import text
from core.simulate.world import Customer, Employee, Item, Station, Store


def within(planner: Planner, shift: Shift, low: float = 0.1, high: float = 0.9) -> datetime:
    """A time inside ``shift``, leaving room for the ticket to be committed before it ends."""
    span = (shift.end - shift.start).total_seconds() - 600
    return shift.start + timedelta(seconds=int(span * planner.rng.uniform(low, high)))


def sale(
    planner: Planner,
    key: str,
    shift: Shift,
    at: datetime,
    lines: list[Line],
    customer: Customer | None = None,
    method: str = "CARD",
    station: Station | None = None,
    employee: Employee | None = None,
) -> Ticket:
    store = planner.world.store_by_key[shift.station.store]
    ticket = Ticket(
        planner.key(key),
        store,
        station or shift.station,
        employee or shift.employee,
        at,
        lines,
        customer=customer,
        exempt=bool(customer and customer.tax_exempt),
        duration=planner.rng.randint(60, 180),
    )
    pricing.finalize(ticket)
    return pay(planner, ticket, method)


def pay(planner: Planner, ticket: Ticket, method: str) -> Ticket:
    if method in ("CARD", "DEBIT"):
        customer = ticket.customer
        card = (
            customer.cards[0]
            if customer and customer.cards
            else baskets.walk_in_card(planner.world, ticket.key, planner.rng)
        )
        return pricing.pay(ticket, method, card)
    return pricing.pay(ticket, method)


def items(planner: Planner, category: str, count: int = 1) -> list[Item]:
    pool = planner.world.items_in(category)
    return [planner.rng.choice(pool) for _ in range(count)]


def plain(planner: Planner, count: int, day_ok: bool = True) -> list[Line]:
    """Ordinary list-price lines from non-promoted categories."""
    promoted = {p.category for p in planner.world.promotions} if day_ok else set()
    pool = [i for i in planner.world.items if i.category not in promoted and not i.mix_match]
    return [
        Line(item, 1, item.price, item.price) for item in (planner.rng.choice(pool) for _ in range(count))
    ]


def returned(
    planner: Planner,
    key: str,
    original: Ticket,
    shift: Shift,
    at: datetime,
    *,
    lookup: bool = True,
    link: bool = True,
) -> Ticket:
    ticket = trading.refund_of(
        planner.world, original, planner.key(key), shift.station, shift.employee, at, planner.rng, whole=True
    )
    ticket.lookup, ticket.link_original = lookup, link
    return ticket


def post_void(planner: Planner, key: str, original: Ticket, at: datetime, *, link: bool = True) -> Ticket:
    void = Ticket(
        planner.key(key),
        original.store,
        original.station,
        original.employee,
        at,
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
            for li in original.lines
        ],
        payments=list(original.payments),
        customer=original.customer,
        kind="VOID",
        original=original,
        link_original=link,
        exempt=original.exempt,
        duration=30,
    )
    return pricing.finalize(void, original.jurisdiction)


def note(
    ticket: Ticket,
    at: datetime,
    entry: tuple[str, str],
    user: Employee,
    station: Station,
    doc_type: str = "T",
    **values: object,
) -> None:
    activ, message = text(entry, **values)
    ticket.audit.append(Audit(at, activ, message, user, station, doc_type))


def employee(person: Employee) -> Entity:
    return Entity("employee", person.external_id, person.store)


def device(station: Station) -> Entity:
    return Entity("device", station.external_id, station.store)


def customer(person: Customer) -> Entity:
    return Entity("customer", person.external_id, person.store)


def store_entity(store: Store) -> Entity:
    return Entity("store", store.external_id, store.key)


def money(cents: int) -> str:
    return f"{cents / 100:.2f}"
