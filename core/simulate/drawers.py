"""Putting a day's tickets into drawer sessions, and the drawer's own events.

Every ticket rung while a session is open on its station belongs to that session (Counterpoint's
DRW_SESSION_ID). On Square the drawer also keeps an event log: a CASH_TENDER_PAYMENT or
CASH_TENDER_REFUND for each cash tender, NO_SALE openings (a few an hour per register), and the odd
PAID_OUT (window cleaner, postage) or PAID_IN (float top-up). A ticket rung when no session is open
(after close) belongs to none: that is what the drawer rules look for.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from core.simulate.ids import derive, poisson
from core.simulate.knobs import Knobs
from core.simulate.model import DrawerEvent, DrawerSession, Ticket
from core.simulate.staffing import Shift
from core.simulate.world import SQUARE, Store, World

NOSALE_RATE = 0.12  # per register-hour
PAID_OUTS = (("Window cleaning", 4000), ("Staff coffee", 1850), ("Postage", 1260), ("Ice delivery", 2500))


def settle(
    world: World,
    store: Store,
    day_key: str,
    tickets: list[Ticket],
    shifts: list[Shift],
    extra: list[DrawerSession],
    knobs: Knobs,
) -> list[DrawerSession]:
    rng = derive(world.seed, "drawer", store.key, day_key)
    sessions = [shift.session for shift in shifts] + extra
    for ticket in sorted(tickets, key=lambda t: (t.at, t.key)):
        if ticket.session is None:
            ticket.session = _open_at(sessions, ticket)
        if ticket.revision_of is not None:
            continue  # a later version of a ticket moves no more cash
        if store.vendor == SQUARE and ticket.session is not None and not ticket.canceled:
            cash = ticket.cash()
            if cash:
                kind = "CASH_TENDER_REFUND" if ticket.refund else "CASH_TENDER_PAYMENT"
                ticket.session.events.append(
                    DrawerEvent(f"{ticket.key}/cash", ticket.closed_at, kind, cash, ticket.employee)
                )
    if store.vendor == SQUARE:
        for shift in shifts:
            _nosales(shift, knobs, rng)
        _paid_out_in(shifts, rng)
    for session in sessions:
        session.events.sort(key=lambda e: (e.at, e.key))
    return sessions


def _open_at(sessions: list[DrawerSession], ticket: Ticket) -> DrawerSession | None:
    for session in sessions:
        if session.station.key == ticket.station.key and session.opened_at <= ticket.at < session.closed_at:
            return session
    return None


def _nosales(shift: Shift, knobs: Knobs, rng: random.Random) -> None:
    session = shift.session
    hour = shift.start.replace(minute=0, second=0, microsecond=0)
    while hour < shift.end:
        effect = knobs.at(session.store.key, session.station.key, hour)
        base = NOSALE_RATE if session.station.kind != "service" else NOSALE_RATE / 2
        for n in range(poisson(rng, base + effect.nosale_rate)):
            at = _within(hour, shift.start, shift.end, rng)
            session.events.append(
                DrawerEvent(f"{session.key}/nosale/{hour:%H}/{n}", at, "NO_SALE", 0, shift.employee)
            )
        hour += timedelta(hours=1)


def _within(hour: datetime, start: datetime, end: datetime, rng: random.Random) -> datetime:
    at = hour + timedelta(seconds=rng.randrange(3600))
    return min(max(at, start), end - timedelta(seconds=30))


def _paid_out_in(shifts: list[Shift], rng: random.Random) -> None:
    registers = [s for s in shifts if s.station.kind == "register"]
    if not registers:
        return
    if rng.random() < 0.4:
        shift = rng.choice(registers)
        what, amount = rng.choice(PAID_OUTS)
        at = shift.start + (shift.end - shift.start) * rng.random()
        shift.session.events.append(
            DrawerEvent(f"{shift.session.key}/paidout", at, "PAID_OUT", amount, shift.employee, what)
        )
    if rng.random() < 0.1:
        shift = rng.choice(registers)
        at = shift.start + (shift.end - shift.start) * rng.random()
        shift.session.events.append(
            DrawerEvent(f"{shift.session.key}/paidin", at, "PAID_IN", 5000, shift.employee, "Float top-up")
        )
