"""Who works which station when, and the drawer session each shift opens.

A store day has two shifts (opening to midday, midday to close). Each active station gets one
employee and one drawer session per shift: registers are staffed by cashiers, the service desk by
the lead in the morning and the manager in the afternoon, register 3 only on weekends and event days.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from core.simulate import demand
from core.simulate.clock import at_local
from core.simulate.ids import derive
from core.simulate.model import DrawerSession
from core.simulate.world import Employee, Station, Store, World

OPENING_FLOAT = 15_000  # $150 in the drawer at the start of every session


@dataclass(frozen=True)
class Shift:
    station: Station
    employee: Employee
    start: datetime  # first ticket may start here
    end: datetime  # last ticket must be committed before this
    session: DrawerSession


def session_number(store: Store, day: date, station: Station, block: int) -> int:
    """DRW_SESSION_ID: a bigint unique per store, readable as store/date/station/shift."""
    return int(f"1{store.index + 1:02d}{day:%y%m%d}{station.number}{block}")


def roster(world: World, store: Store, day: date) -> list[Shift]:
    rng = derive(world.seed, "roster", store.key, day.isoformat())
    opens, closes = store.hours(day)
    middle = (opens + closes) // 2
    busy = day.weekday() >= 5 or demand.is_event_day(world, day)
    cashiers = world.staff(store.key, "cashier")
    lead, manager = world.staff(store.key, "lead")[0], world.staff(store.key, "manager")[0]
    shifts: list[Shift] = []
    for block, (first, last) in enumerate(((opens, middle), (middle, closes))):
        pool = rng.sample(cashiers, len(cashiers))
        for station in store.stations:
            if station.kind == "event" and not busy:
                continue
            person = (lead if block == 0 else manager) if station.kind == "service" else pool.pop()
            start = at_local(day, first, 0, 0, store.timezone) + timedelta(minutes=2 if block else 0)
            end = at_local(day, last, 0, 0, store.timezone) - timedelta(minutes=4)
            session = DrawerSession(
                key=f"{station.key}/{day.isoformat()}/{block + 1}",
                store=store,
                station=station,
                number=session_number(store, day, station, block + 1),
                opened_at=start - timedelta(minutes=10 if block == 0 else 1),
                closed_at=end + timedelta(minutes=3, seconds=rng.randrange(60)),
                opener=person,
                closer=person,
                opening_cash=OPENING_FLOAT,
                variance=_variance(rng),
            )
            shifts.append(Shift(station, person, start, end, session))
    return shifts


def _variance(rng: random.Random) -> int:
    """Most counts are exact; a few are off by coins (under a dollar, so under any threshold a
    drawer rule would use)."""
    roll = rng.random()
    if roll < 0.85:
        return 0
    return int(rng.choice((-99, -25, -10, -5, 5, 10, 25)))


def shift_at(shifts: list[Shift], station: Station, instant: datetime) -> Shift | None:
    for shift in shifts:
        if shift.station.key == station.key and shift.session.opened_at <= instant < shift.session.closed_at:
            return shift
    return None
