"""Tender mix (seed Q.2.3): Q-TM-01, Q-TM-02, Q-TM-03 and the event-day cash hard negative, on
Counterpoint stores (STA_ID + DRW_SESSION_ID on every ticket, PS_DOC_PMT with all tenders)."""

from __future__ import annotations

from datetime import timedelta

from core.simulate import baskets, pricing
from core.simulate.clock import at_local
from core.simulate.knobs import Effect, Knob
from core.simulate.model import Payment, Ticket
from core.simulate.scenarios import kit
from core.simulate.scenarios.base import HARD_NEGATIVE, POSITIVE, Planner, tickets
from core.simulate.vocab import COMMIT, TENDER_CHANGE, pay_code
from core.simulate.world import COUNTERPOINT


def session_cash_share(planner: Planner) -> None:
    """Q-TM-01: "compare the cash-share at each (STA_ID, DRW_SESSION_ID) to that station's rolling
    baseline and flag sessions that deviate beyond threshold". One weekday session on a register
    runs at 95 % cash against the station's usual 22 %."""
    store = planner.store(COUNTERPOINT)
    if store is None:
        return
    day = planner.day(0.35, 0.65, weekday=True)  # clear of the override-trend week at the end
    shift = planner.shift(store, day)
    station = shift.station
    planner.knob(Knob(store.key, station.key, shift.start, shift.end, Effect(cash_p=0.95)))
    planner.label(
        "Q-TM-01",
        POSITIVE,
        kit.device(station),
        shift.start,
        shift.end,
        store,
        [],
        note=f"session {shift.session.number} rung by {shift.employee.external_id}",
        collect=tickets(lambda t: t.station.key == station.key and t.kind == "SALE"),
    )


def event_day_cash(planner: Planner) -> None:
    """Hard negative for Q-TM-01: "a Friday-and-Saturday allow-list for stations designated as
    'event tents' so farmers-market-day cash patterns don't fire weekly false positives". Register 3
    is the event tent on event days, where 85 % of tenders are cash."""
    store = planner.store(COUNTERPOINT)
    days = [d for d in planner.world.event_days if d >= planner.world.start + timedelta(days=3)]
    if store is None or not days:
        planner.plan.skipped.append(planner.type)
        return
    day = planner.rng.choice(days)
    tent = next(s for s in store.stations if s.kind == "event")
    opens, closes = store.hours(day)
    start, end = at_local(day, opens, 0, 0, store.timezone), at_local(day, closes, 0, 0, store.timezone)
    planner.label(
        "Q-TM-01",
        HARD_NEGATIVE,
        kit.device(tent),
        start,
        end,
        store,
        [],
        note="event-tent station on an event day: allow-list by station and time window",
        collect=tickets(lambda t: t.station.key == tent.key and t.kind == "SALE"),
    )


def tender_swap(planner: Planner) -> None:
    """Q-TM-02: "replaying audit-log entries on a Document and flagging cases where original tender =
    card and a later edit changed it to cash". The document is sent twice: first paid by card, then,
    hours later, paid in cash with a payment-change entry in its audit log."""
    store = planner.store(COUNTERPOINT)
    if store is None:
        return
    day = planner.day(weekday=True)
    shift = planner.shift(store, day, block=1)
    first = kit.sale(
        planner, "tm02", shift, kit.within(planner, shift, 0.2, 0.5), kit.plain(planner, 3), method="CARD"
    )
    later = first.closed_at + timedelta(hours=planner.rng.randint(3, 5))
    second = Ticket(
        planner.key("tm02/v2"),
        store,
        first.station,
        first.employee,
        first.at,
        first.lines,
        [Payment("CASH", first.payments[0].amount)],
        duration=first.duration,
        revision_of=first,
        updated_at=later + timedelta(seconds=20),
        taxes=first.taxes,
    )
    card = first.payments[0].card
    code = pay_code("CARD", card.brand if card else None)[0]
    kit.note(
        second,
        later,
        TENDER_CHANGE,
        shift.employee,
        shift.station,
        code=code,
        amount=kit.money(first.payments[0].amount),
        new_code="CASH",
    )
    kit.note(second, later + timedelta(seconds=15), COMMIT, shift.employee, shift.station)
    planner.inject(store, day, first, second)
    planner.label(
        "Q-TM-02",
        POSITIVE,
        kit.employee(shift.employee),
        first.at,
        second.saved_at,
        store,
        [second],
        also=("Q-AT-01",),
        note="version 1 paid by card, version 2 in cash",
    )


def payment_fragmentation(planner: Planner) -> None:
    """Q-TM-03: one ticket paid in many pieces: four cards, none the customer's own, each under $100."""
    store = planner.store(COUNTERPOINT)
    if store is None:
        return
    day = planner.day(weekday=True)
    shift = planner.shift(store, day)
    lines = kit.plain(planner, 5)
    ticket = kit.sale(planner, "tm03", shift, kit.within(planner, shift), lines, method="CASH")
    cards = [baskets.walk_in_card(planner.world, f"{ticket.key}/{n}", planner.rng) for n in range(4)]
    pricing.split(ticket, [("CARD", card) for card in cards])
    planner.inject(store, day, ticket)
    planner.label(
        "Q-TM-03",
        POSITIVE,
        kit.employee(shift.employee),
        ticket.at,
        ticket.closed_at,
        store,
        [ticket],
        note="four card tenders on one ticket",
    )


SCENARIOS = (session_cash_share, event_day_cash, tender_swap, payment_fragmentation)
