"""Bubble device anomalies (docs/bubble.md): the benchmark's five injected types,
here as knobs on baseline trading rather than special tickets, so each device's ordinary traffic
carries the anomaly the way a real register would.

- void-rate spike: p_void → 0.25 for 6 h on one register (Square: card authorisations voided);
- refund creep: one register's refund rate ramps linearly to 10× over 14 days, then holds;
- cash / no-sale burst: p_cash → 0.97 and about five extra no-sales an hour for 3 h (Square);
- off-hours activity: about seven tickets an hour between 01:00 and 04:00, 30 % of them refunds;
- store-wide drift: every device of one store for 2 days: void ×3, traffic ×0.7, cash share ×1.6.

Labels follow the benchmark: ground truth is the window, and the objects are the tickets of the
anomalous kind generated in it (collected after trading).
"""

from __future__ import annotations

from datetime import timedelta

from core.simulate.clock import at_local
from core.simulate.knobs import Effect, Knob
from core.simulate.scenarios import kit
from core.simulate.scenarios.base import POSITIVE, Planner, tickets
from core.simulate.world import COUNTERPOINT, SQUARE

DEVICE, STORE = "A-BUBBLE-DEVICE", "A-BUBBLE-STORE"


def void_rate_spike(planner: Planner) -> None:
    """A1: a register voids a quarter of its card sales for six hours."""
    store = planner.store(SQUARE, COUNTERPOINT)
    if store is None:
        return
    day = planner.day(0.4, 0.9, weekday=False)
    opens, _closes = store.hours(day)
    start = at_local(day, opens + 1, 0, 0, store.timezone)
    end = start + timedelta(hours=6)
    station = next(s for s in store.stations if s.kind == "register")
    planner.knob(Knob(store.key, station.key, start, end, Effect(void_p=0.25)))
    planner.label(
        DEVICE,
        POSITIVE,
        kit.device(station),
        start,
        end,
        store,
        [],
        also=("Q-VR-03",),
        note="void rate 25 % for 6 h",
        collect=tickets(lambda t: t.station.key == station.key and (t.canceled or t.kind == "VOID")),
    )


def refund_creep(planner: Planner) -> None:
    """A2: refunds at one register creep up to ten times their usual rate over two weeks."""
    store = planner.store(COUNTERPOINT, SQUARE)
    if store is None:
        return
    world = planner.world
    ramp = min(14.0, world.days / 2)
    start = at_local(world.start + timedelta(days=max(1, world.days // 3)), 0, 0, 0, store.timezone)
    end = at_local(world.start + timedelta(days=world.days), 0, 0, 0, store.timezone)
    station = [s for s in store.stations if s.kind == "register"][-1]
    planner.knob(Knob(store.key, station.key, start, end, Effect(refund_mult=10.0), ramp_days=ramp))
    labelled = start + timedelta(days=ramp * 2 / 9)  # the benchmark labels hours once the rate is 3x
    planner.label(
        DEVICE,
        POSITIVE,
        kit.device(station),
        labelled,
        end,
        store,
        [],
        note=f"refund rate ramps to 10x over {ramp:g} days from {start.date().isoformat()}",
        collect=tickets(lambda t: t.station.key == station.key and t.kind == "RETURN"),
    )


def cash_no_sale_burst(planner: Planner) -> None:
    """A3: three hours of almost only cash, with the drawer opened without a sale five times an hour."""
    store = planner.store(SQUARE)
    if store is None:
        return
    day = planner.day(0.3, 0.9, weekday=True)
    shift = planner.shift(store, day, block=2)
    start = shift.start.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    end = start + timedelta(hours=3)
    station = shift.station
    planner.knob(Knob(store.key, station.key, start, end, Effect(cash_p=0.97, nosale_rate=5.0)))
    planner.label(
        DEVICE,
        POSITIVE,
        kit.device(station),
        start,
        end,
        store,
        [shift.session],
        also=("Q-TM-01",),
        note="cash share 97 % and ~5 no-sales an hour for 3 h",
        collect=tickets(lambda t: t.station.key == station.key and t.cash() > 0),
    )


def off_hours_activity(planner: Planner) -> None:
    """A4: a register rings about seven tickets an hour between 01:00 and 04:00, a third of them
    refunds, with the store closed."""
    store = planner.store(COUNTERPOINT, SQUARE)
    if store is None:
        return
    day = planner.day(0.3, 0.9)
    start = at_local(day, 1, 0, 0, store.timezone)
    end = at_local(day, 4, 0, 0, store.timezone)
    station = next(s for s in store.stations if s.kind == "register")
    planner.knob(Knob(store.key, station.key, start, end, Effect(ticket_rate=7.0, refund_p=0.3)))
    planner.label(
        DEVICE,
        POSITIVE,
        kit.device(station),
        start,
        end,
        store,
        [],
        note="7 tickets/h at 01:00-04:00 local, 30 % refunds",
        collect=tickets(lambda t: t.station.key == station.key),
    )


def store_wide_drift(planner: Planner) -> None:
    """A5: for two days every device in one store voids three times as often, sees 30 % less traffic
    and takes 60 % more cash: one store signal, not one per device."""
    store = planner.store(SQUARE, COUNTERPOINT)
    if store is None:
        return
    day = planner.day(0.4, 0.8)
    start = at_local(day, 0, 0, 0, store.timezone)
    end = at_local(day + timedelta(days=2), 0, 0, 0, store.timezone)
    planner.knob(Knob(store.key, None, start, end, Effect(void_mult=3.0, ticket_mult=0.7, cash_p=0.35)))
    planner.label(
        STORE,
        POSITIVE,
        kit.store_entity(store),
        start,
        end,
        store,
        [],
        also=("Q-VR-03", "Q-TM-01"),
        note="void x3, traffic x0.7, cash share x1.6 on every device for 2 days",
        collect=tickets(lambda t: t.store.key == store.key and (t.canceled or t.kind == "VOID")),
    )


SCENARIOS = (void_rate_spike, refund_creep, cash_no_sale_burst, off_hours_activity, store_wide_drift)
