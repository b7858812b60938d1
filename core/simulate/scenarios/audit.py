"""Audit trail (seed Q.2.5): Q-AT-01, Q-AT-02, Q-AT-03 and the layaway hard negative, on Counterpoint
documents (PS_DOC_AUDIT_LOG with CURR_STA_ID, IS_DOC_COMMITTED, ACTIV and LOG_ENTRY)."""

from __future__ import annotations

from datetime import timedelta

from core.simulate import pricing
from core.simulate.model import Line, Payment, Ticket
from core.simulate.scenarios import kit
from core.simulate.scenarios.base import HARD_NEGATIVE, POSITIVE, Planner
from core.simulate.vocab import COMMIT, EDIT, HOLD, MANAGER, NEW, PAYMENT, RECALL, RELEASE, pay_code
from core.simulate.world import COUNTERPOINT


def edit_after_commit(planner: Planner) -> None:
    """Q-AT-01: "flag any line modification on a Document where IS_DOC_COMMITTED = 'Y' was set before
    the modification timestamp". A committed cash ticket is sent again three hours later with a line
    quantity cut from 3 to 1 and an edit entry dated after the commit."""
    store = planner.store(COUNTERPOINT)
    if store is None:
        return
    day = planner.day(weekday=True)
    shift = planner.shift(store, day, block=1)
    lines = kit.plain(planner, 3)
    lines[1].qty = 3
    first = kit.sale(planner, "at01", shift, kit.within(planner, shift, 0.2, 0.5), lines, method="CASH")
    edited = [Line(li.item, li.qty, li.price, li.reg_price) for li in lines]
    edited[1].qty = 1
    later = first.closed_at + timedelta(hours=3)
    second = Ticket(
        planner.key("at01/v2"),
        store,
        first.station,
        first.employee,
        first.at,
        edited,
        duration=first.duration,
        revision_of=first,
        updated_at=later + timedelta(seconds=30),
    )
    pricing.finalize(second)
    second.payments = [Payment("CASH", second.total)]
    kit.note(
        second, later, EDIT, shift.employee, shift.station, line=2, item=edited[1].item.sku, before=3, after=1
    )
    planner.inject(store, day, first, second)
    planner.label(
        "Q-AT-01",
        POSITIVE,
        kit.employee(shift.employee),
        first.at,
        second.saved_at,
        store,
        [second],
        note="version 2 of a committed document: line 2 quantity 3 -> 1",
    )


def many_stations(planner: Planner) -> None:
    """Q-AT-02: "flag any single Document whose audit log shows CURR_STA_ID changing across 3+
    stations". An ordinary ticket is started on register 1, recalled on register 2 and finished at the
    service desk."""
    store = planner.store(COUNTERPOINT)
    if store is None:
        return
    day = planner.day(weekday=True)
    shift = planner.shift(store, day, block=2)
    others = [
        s
        for s in planner.shifts(store, day)
        if s.session.key.endswith("/2") and s.station.key != shift.station.key and s.station.kind != "event"
    ]
    at = kit.within(planner, shift, 0.2, 0.6)
    ticket = kit.sale(planner, "at02", shift, at, kit.plain(planner, 2), method="CASH")
    ticket.duration = 1500
    for n, other in enumerate(others[:2]):
        when = at + timedelta(minutes=8 * (n + 1))
        entry = HOLD if n == 0 else RECALL
        kit.note(ticket, when, entry, other.employee, other.station, what="customer went to the car")
    planner.inject(store, day, ticket)
    planner.label(
        "Q-AT-02",
        POSITIVE,
        kit.employee(shift.employee),
        ticket.at,
        ticket.closed_at,
        store,
        [ticket],
        note="DOC_TYP T handled on three stations",
    )


def layaway_cross_station(planner: Planner) -> None:
    """Hard negative for Q-AT-02: "Layaway / order-pickup workflows naturally cross-station —
    allow-list legitimate hold-and-recall flows". A layaway (DOC_TYP 'O', layaway lines) is opened
    with a deposit on register 1, looked at again on register 2 and paid off and released for pickup
    at the service desk."""
    store = planner.store(COUNTERPOINT)
    if store is None:
        return
    day = planner.day(0.3, 0.8, weekday=True)
    shifts = [s for s in planner.shifts(store, day) if s.session.key.endswith("/1")]
    opened = next(s for s in shifts if s.station.kind == "register")
    lines = [Line(li.item, li.qty, li.price, li.reg_price, kind="L") for li in kit.plain(planner, 3)]
    at = kit.within(planner, opened, 0.1, 0.3)
    layaway = kit.sale(planner, "layaway", opened, at, lines, method="CASH")
    layaway.doc_type, layaway.release, layaway.kind, layaway.duration = "O", True, "LAYAWAY", 4 * 3600
    layaway.routine_audit = False  # every row is written below, each at the station that did it
    total = layaway.payments[0].amount
    deposit = total // 4
    layaway.payments = [Payment("CASH", deposit), Payment("CASH", total - deposit, delay=14_000)]
    kit.note(layaway, at, NEW, opened.employee, opened.station)
    kit.note(
        layaway,
        at + timedelta(seconds=50),
        PAYMENT,
        opened.employee,
        opened.station,
        code=pay_code("CASH", None)[0],
        amount=kit.money(deposit),
    )
    kit.note(
        layaway, at + timedelta(seconds=60), HOLD, opened.employee, opened.station, what="layaway deposit"
    )
    for n, other in enumerate(
        s for s in shifts if s.station.key != opened.station.key and s.station.kind != "event"
    ):
        when = at + timedelta(hours=2 * (n + 1))
        kit.note(
            layaway, when, RECALL, other.employee, other.station, what="layaway pickup" if n else "layaway"
        )
        if n == 1:
            kit.note(
                layaway,
                when + timedelta(seconds=30),
                PAYMENT,
                other.employee,
                other.station,
                code=pay_code("CASH", None)[0],
                amount=kit.money(layaway.payments[1].amount),
            )
            kit.note(layaway, when + timedelta(seconds=60), RELEASE, other.employee, other.station)
            kit.note(layaway, when + timedelta(seconds=70), COMMIT, other.employee, other.station)
    planner.inject(store, day, layaway)
    planner.label(
        "Q-AT-02",
        HARD_NEGATIVE,
        kit.employee(opened.employee),
        layaway.at,
        layaway.closed_at,
        store,
        [layaway],
        note="layaway: DOC_TYP O, LIN_TYP L, IS_REL_TKT Y",
    )


def override_frequency(planner: Planner) -> None:
    """Q-AT-03: "manager-override frequency reported as a trend not as alerts". In the last full week
    of the window one cashier's tickets collect 24 manager overrides, against two or three in an
    ordinary week."""
    store = planner.store(COUNTERPOINT)
    if store is None:
        return
    world = planner.world
    last = world.start + timedelta(days=world.days - 1)
    monday = last - timedelta(days=last.weekday() + 7)
    monday = max(monday, world.start)
    cashier = planner.rng.choice(world.staff(store.key, "cashier"))
    manager = world.staff(store.key, "manager")[0]
    days = [monday + timedelta(days=n) for n in range(7) if monday + timedelta(days=n) <= last]
    tickets: list[Ticket] = []
    for day in days:
        for shift in planner.worked_by(store, day, cashier.key):
            for _ in range(4):
                method = "CASH" if planner.rng.random() < 0.22 else "CARD"
                ticket = kit.sale(
                    planner,
                    f"at03/{len(tickets)}",
                    shift,
                    kit.within(planner, shift),
                    kit.plain(planner, 2),
                    method=method,
                )
                what = planner.rng.choice(("price check", "void line", "no receipt exchange", "tax override"))
                kit.note(
                    ticket,
                    ticket.at + timedelta(seconds=40),
                    MANAGER,
                    manager,
                    shift.station,
                    manager=manager.external_id,
                    what=what,
                )
                planner.inject(store, day, ticket)
                tickets.append(ticket)
    if not tickets:
        planner.plan.skipped.append(planner.type)
        return
    planner.label(
        "Q-AT-03",
        POSITIVE,
        kit.employee(cashier),
        tickets[0].at,
        tickets[-1].closed_at,
        store,
        tickets,
        note=f"{len(tickets)} manager overrides in ISO week of {monday.isoformat()} (trend queue)",
    )


SCENARIOS = (edit_after_commit, many_stations, layaway_cross_station, override_frequency)
