"""Drawer and session (seed Q.2.4): Q-DS-01, Q-DS-02, Q-DS-03 and the grace-window hard negative, on
Square stores, whose cash drawer shifts (polled: ListCashDrawerShifts + events) carry expected and
counted cash, open/close times and every drawer event. Counterpoint exposes no drawer session record
(ASSUMPTION-Q-02), so these rules have no Counterpoint substrate here."""

from __future__ import annotations

from datetime import timedelta

from core.simulate.model import DrawerEvent, DrawerSession
from core.simulate.scenarios import kit
from core.simulate.scenarios.base import HARD_NEGATIVE, POSITIVE, Planner
from core.simulate.staffing import Shift
from core.simulate.world import SQUARE, Store


def recurring_drawer_shortage(planner: Planner) -> None:
    """Q-DS-01: "every drawer-close event to compare reconciled cash count to expected and emit a
    Q-DS-01 detection if the gap exceeds (dollar_threshold OR pct_threshold)", and "recurring
    per-employee shrinkage across multiple sessions auto-promoted ... to a single high-severity case".
    One cashier's drawers come up $35–$65 short on three sessions within ten days."""
    store = planner.store(SQUARE)
    if store is None:
        return
    cashier = planner.rng.choice(planner.world.staff(store.key, "cashier"))
    first = planner.day(0.2, 0.6)
    sessions: list[DrawerSession] = []
    for offset in range(12):
        day = first + timedelta(days=offset)
        if (day - planner.world.start).days >= planner.world.days or len(sessions) == 3:
            break
        worked = [s for s in planner.worked_by(store, day, cashier.key) if s.station.kind == "register"]
        if worked:
            session = worked[0].session
            planner.variance(session, -planner.rng.randint(3500, 6500))
            sessions.append(session)
    if not sessions:
        planner.plan.skipped.append(planner.type)
        return
    planner.label(
        "Q-DS-01",
        POSITIVE,
        kit.employee(cashier),
        sessions[0].opened_at,
        sessions[-1].closed_at,
        store,
        list(sessions),
        note=f"{len(sessions)} short drawers, one employee: bundle into one case",
    )


def _register(planner: Planner, store: Store) -> Shift:
    day = planner.day(weekday=True)
    return planner.shift(store, day, block=2)


def activity_after_close(planner: Planner) -> None:
    """Q-DS-02: "any audit-log entry on a Document committed AFTER its drawer-close timestamp to fire
    Q-DS-02, with a configurable grace window". Forty minutes after a register's drawer closed for
    the night, a $60 paid-out is recorded against the closed shift."""
    store = planner.store(SQUARE)
    if store is None:
        return
    shift = _register(planner, store)
    session = shift.session
    at = session.closed_at + timedelta(minutes=40)
    event = DrawerEvent(planner.key("ds02"), at, "PAID_OUT", 6000, shift.employee, "Supplies")
    planner.late_event(session, event)
    planner.label(
        "Q-DS-02",
        POSITIVE,
        kit.employee(shift.employee),
        session.closed_at,
        at + timedelta(minutes=1),
        store,
        [session],
        note="PAID_OUT 40 minutes after the shift closed (grace 15 minutes)",
    )


def drawer_close_grace(planner: Planner) -> None:
    """Hard negative for Q-DS-02: a no-sale five minutes after close, inside the grace window (the
    cashier reopened the drawer to hand the float to the manager)."""
    store = planner.store(SQUARE)
    if store is None:
        return
    shift = _register(planner, store)
    session = shift.session
    at = session.closed_at + timedelta(minutes=5)
    planner.late_event(session, DrawerEvent(planner.key("grace"), at, "NO_SALE", 0, shift.employee))
    planner.label(
        "Q-DS-02",
        HARD_NEGATIVE,
        kit.employee(shift.employee),
        session.closed_at,
        at + timedelta(minutes=1),
        store,
        [session],
        note="inside the 15-minute grace window",
    )


def drawer_reactivation(planner: Planner) -> None:
    """Q-DS-03: drawer reactivation (PS_STR_CFG_PS.ALLOW_DRW_REACTIV). A register's shift, already
    counted and closed, is reopened 25 minutes later for a no-sale and an $80 paid-out, then closed
    again: the polled shift is seen CLOSED, then OPEN, then CLOSED."""
    store = planner.store(SQUARE)
    if store is None:
        return
    shift = _register(planner, store)
    session = shift.session
    reopen = session.closed_at + timedelta(minutes=25)
    planner.reopen(session, reopen, reopen + timedelta(minutes=10))
    planner.late_event(
        session,
        DrawerEvent(planner.key("ds03/nosale"), reopen + timedelta(minutes=2), "NO_SALE", 0, shift.employee),
    )
    planner.late_event(
        session,
        DrawerEvent(
            planner.key("ds03/paidout"),
            reopen + timedelta(minutes=4),
            "PAID_OUT",
            8000,
            shift.employee,
            "Petty cash",
        ),
    )
    planner.label(
        "Q-DS-03",
        POSITIVE,
        kit.employee(shift.employee),
        session.closed_at,
        reopen + timedelta(minutes=10),
        store,
        [session],
        also=("Q-DS-02",),
        note="shift polled CLOSED, then OPEN, then CLOSED (cash_drawer_shifts.jsonl)",
    )


SCENARIOS = (recurring_drawer_shortage, activity_after_close, drawer_close_grace, drawer_reactivation)
