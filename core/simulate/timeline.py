"""The world's days, one at a time: baseline trading, the scenarios' injections and knobs, drawer
sessions and stock movements for every store, in date order (trading remembers recent sales across
days, for refunds). Before the window, a prologue of last year's write-offs (the same ISO weeks)
gives a seasonal write-off baseline something to compare with.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from core.simulate import demand, stock
from core.simulate.clock import at_local
from core.simulate.drawers import settle
from core.simulate.ids import derive
from core.simulate.model import DrawerSession, Ticket
from core.simulate.movements import (
    Adjustment,
    CustomerChange,
    Day,
    PriceChange,
    Receiver,
    Transfer,
    VendorReturn,
)
from core.simulate.scenarios.base import Plan, observe
from core.simulate.staffing import Shift, roster
from core.simulate.trading import StoreState, trade
from core.simulate.world import COUNTERPOINT, SQUARE, Store, World

LAST_YEAR = timedelta(days=364)
HISTORY_DAYS = 371  # 53 weeks: the window's weeks last year and everything since


def prologue(world: World, plan: Plan) -> Iterator[Day]:
    """A year of dead-count write-offs before the window, Counterpoint stores only: the same weeks
    last year for a seasonal baseline, and the weeks just before the window for a trailing one."""
    for offset in range(HISTORY_DAYS, 0, -1):
        past = world.start - timedelta(days=offset)
        out = Day(past)
        for store in world.stores_of(COUNTERPOINT):
            rng = derive(world.seed, "history", store.key, past.isoformat())
            mean = stock.WRITE_OFF_RATE * demand.season(world, past)
            stock.write_offs(world, store, past, f"{store.key}/{past}/H", mean, rng, out)
            out.adjustments += [o for o in plan.injected(store.key, past) if isinstance(o, Adjustment)]
        yield out


def days(world: World, plan: Plan) -> Iterator[Day]:
    states = {store.key: StoreState() for store in world.stores}
    counters = dict.fromkeys(states, 0)
    middle = world.start + timedelta(days=world.days // 2)
    reserved = frozenset(plan.reserved)
    for day in world.dates:
        out = Day(day)
        for store in world.stores:
            shifts = roster(world, store, day)
            _edit_sessions(shifts, plan)
            injected = plan.injected(store.key, day)
            tickets = trade(world, store, day, shifts, plan.knobs, states[store.key], reserved)
            tickets += [o for o in injected if isinstance(o, Ticket)]
            extra = [o for o in injected if isinstance(o, DrawerSession)]
            out.sessions += settle(world, store, day.isoformat(), tickets, shifts, extra, plan.knobs)
            counters[store.key] = _number(store, tickets, counters[store.key])
            out.tickets += tickets
            if store.vendor == COUNTERPOINT:
                stock.stock_day(world, store, day, out)
            _collect(out, injected)
            if store.vendor == SQUARE and day == middle:
                _dispute(world, store, day, states[store.key], out)
        out.customer_changes += _new_customers(world, day)
        out.customer_changes.sort(key=lambda c: (c.at, c.customer.key))
        observe(plan.labels, out)
        yield out


def _edit_sessions(shifts: list[Shift], plan: Plan) -> None:
    for shift in shifts:
        session = shift.session
        session.variance = plan.variances.get(session.key, session.variance)
        session.events += plan.late_events.get(session.key, [])
        if session.key in plan.reopen:
            session.reopened_at, session.reclosed_at = plan.reopen[session.key]


def _number(store: Store, tickets: list[Ticket], counter: int) -> int:
    """TKT_NO in ticket order, continuing the store's series (a revision keeps its document's)."""
    for ticket in sorted(tickets, key=lambda t: (t.at, t.key)):
        if ticket.revision_of is None:
            counter += 1
            ticket.number = f"{store.external_id}-{100000 + counter}"
    return counter


def _collect(out: Day, injected: list[object]) -> None:
    for o in injected:
        if isinstance(o, Receiver):
            out.receivers.append(o)
        elif isinstance(o, Transfer):
            out.transfers.append(o)
        elif isinstance(o, VendorReturn):
            out.vendor_returns.append(o)
        elif isinstance(o, Adjustment):
            out.adjustments.append(o)
        elif isinstance(o, CustomerChange):
            out.customer_changes.append(o)
        elif isinstance(o, PriceChange):
            out.price_changes.append(o)


def _dispute(world: World, store: Store, day: date, state: StoreState, out: Day) -> None:
    """One chargeback per Square store, mid-window, on a card sale at least three days old."""
    rng = derive(world.seed, "dispute", store.key)
    candidates = [
        t
        for t in state.recent
        if t.payments
        and t.payments[0].method == "CARD"
        and not t.canceled
        and (day - t.at.date()).days >= 3
        and t.total >= 4000
    ]
    if candidates:
        at = at_local(day, 12, rng.randrange(60), rng.randrange(60), store.timezone)
        out.disputes.append((rng.choice(candidates), at))


def _new_customers(world: World, day: date) -> list[CustomerChange]:
    """Customers who sign up during the window, and (Square) a profile update two days later."""
    changes = []
    for c in world.customers:
        joined = c.created_at.date()
        if joined < world.start:
            continue
        if joined == day:
            changes.append(CustomerChange(c, c.created_at, c.tier, created=True))
        if c.vendor == SQUARE and joined + timedelta(days=2) == day:
            changes.append(CustomerChange(c, c.created_at + timedelta(days=2, hours=3), c.tier))
    return changes
