"""What a scenario is, what it may do to the world, and the ground truth it leaves behind.

A scenario is a small function ``(planner) -> None`` written against one rule's business definition
(its docstring quotes it). Before any trading is generated it may:

- **inject** self-contained objects on a store day: tickets (with their own original sale when they
  need one), drawer sessions, receivers, transfers, write-offs, customer changes;
- **turn knobs** on baseline trading for a station or store over a window (``knobs.py``): the device
  anomalies are ordinary traffic with one rate changed;
- **override a drawer count** for a session it found in the (deterministic) roster;
- **label** what it did: rule, polarity, entity, window and the objects involved. For knob scenarios
  the objects are collected after trading, by a predicate over the tickets generated in the window.

Scenarios only see the world and their own random stream, so adding one never shifts another.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from core.simulate.ids import derive
from core.simulate.knobs import Knob, Knobs
from core.simulate.model import DrawerEvent, DrawerSession, Ticket
from core.simulate.movements import Day
from core.simulate.staffing import Shift, roster
from core.simulate.world import Customer, Store, World

POSITIVE, HARD_NEGATIVE = "positive", "hard_negative"


@dataclass(frozen=True)
class Entity:
    type: str  # employee | device | customer | store | vendor | route | category
    id: str  # as the vendor spells it
    store: str | None = None  # the store key ("S1"), when the entity belongs to one


@dataclass
class Label:
    scenario_id: str
    scenario_type: str
    rule_id: str
    polarity: str
    entity: Entity
    start: datetime
    end: datetime
    store: str | None
    vendor: str | None
    subjects: list[object] = field(default_factory=list)  # tickets, sessions, receivers … (resolved later)
    also: tuple[str, ...] = ()  # rules that may legitimately fire on the same objects
    note: str = ""
    collect: Callable[[object], bool] | None = (
        None  # which generated tickets, receivers, write-offs are involved
    )
    allowed_queue: str | None = None  # a hard negative may still land here (review, trend) but not in fraud


Scenario = Callable[["Planner"], None]


@dataclass
class Plan:
    """Everything the scenarios decided, consulted while each day is generated."""

    knobs: Knobs = field(default_factory=Knobs)
    injections: dict[tuple[str, date], list[object]] = field(default_factory=dict)
    variances: dict[str, int] = field(default_factory=dict)  # drawer session key -> counted - expected
    late_events: dict[str, list[DrawerEvent]] = field(default_factory=dict)  # session key -> extra events
    reopen: dict[str, tuple[datetime, datetime]] = field(
        default_factory=dict
    )  # session key -> (reopen, reclose)
    labels: list[Label] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # scenario types with no eligible store
    reserved: set[str] = field(default_factory=set)  # customers who shop only in their scenario

    def injected(self, store: str, day: date) -> list[object]:
        return self.injections.get((store, day), [])


class Planner:
    """The handle one scenario gets: its random stream, the world, and the plan to add to."""

    def __init__(self, world: World, plan: Plan, scenario_type: str, index: int) -> None:
        self.world, self.plan, self.type = world, plan, scenario_type
        self.rng: random.Random = derive(world.seed, "scenario", scenario_type, index)
        self.serial = 0

    def key(self, suffix: str = "") -> str:
        """A stable key prefix for objects this scenario creates."""
        return f"scn/{self.type}/{suffix}" if suffix else f"scn/{self.type}"

    def store(self, *vendors: str) -> Store | None:
        """A store of the first vendor (in preference order) the merchant has; any store when no
        vendor is named. ``None``, and the scenario recorded as skipped, when there is none."""
        for vendor in vendors or (None,):
            stores = [s for s in self.world.stores if vendor is None or s.vendor == vendor]
            if stores:
                return self.rng.choice(stores)
        self.plan.skipped.append(self.type)
        return None

    def day(self, low: float = 0.15, high: float = 0.85, weekday: bool | None = None) -> date:
        """A day at a fraction of the window, optionally a weekday (Mon–Fri) or weekend day."""
        days = self.world.days
        first, last = int(days * low), max(int(days * low), int(days * high) - 1)
        for _ in range(50):
            candidate = self.world.start + timedelta(days=self.rng.randint(first, last))
            if weekday is None or (candidate.weekday() < 5) == weekday:
                return candidate
        return self.world.start + timedelta(days=first)

    def shifts(self, store: Store, day: date) -> list[Shift]:
        return roster(self.world, store, day)

    def shift(self, store: Store, day: date, kind: str = "register", block: int | None = None) -> Shift:
        options = [
            s
            for s in self.shifts(store, day)
            if s.station.kind == kind and (block is None or s.session.key.endswith(f"/{block}"))
        ]
        return self.rng.choice(options)

    def reserve(self, customer: Customer) -> None:
        """Keep ``customer`` out of baseline trading: their tickets are the scenario's."""
        self.plan.reserved.add(customer.key)

    def inject(self, store: Store, day: date, *objects: object) -> None:
        self.plan.injections.setdefault((store.key, day), []).extend(objects)

    def knob(self, knob: Knob) -> None:
        self.plan.knobs.add(knob)

    def variance(self, session: DrawerSession, cents: int) -> None:
        self.plan.variances[session.key] = cents

    def late_event(self, session: DrawerSession, event: DrawerEvent) -> None:
        self.plan.late_events.setdefault(session.key, []).append(event)

    def reopen(self, session: DrawerSession, at: datetime, until: datetime) -> None:
        self.plan.reopen[session.key] = (at, until)

    def worked_by(self, store: Store, day: date, person: str) -> list[Shift]:
        return [s for s in self.shifts(store, day) if s.employee.key == person]

    def label(
        self,
        rule_id: str,
        polarity: str,
        entity: Entity,
        start: datetime,
        end: datetime,
        store: Store | None,
        subjects: Sequence[object] | None = None,
        also: tuple[str, ...] = (),
        note: str = "",
        collect: Callable[[object], bool] | None = None,
        allowed_queue: str | None = None,
    ) -> Label:
        self.serial += 1
        label = Label(
            scenario_id=f"{self.type}-{self.serial}",
            scenario_type=self.type,
            rule_id=rule_id,
            polarity=polarity,
            entity=entity,
            start=start,
            end=end,
            store=store.key if store else None,
            vendor=store.vendor if store else None,
            subjects=list(subjects or []),
            also=also,
            note=note,
            collect=collect,
            allowed_queue=allowed_queue,
        )
        self.plan.labels.append(label)
        return label


def observe(labels: list[Label], day: Day) -> None:
    """Attach the generated objects a scenario's predicate picks out of one day."""
    objects: list[tuple[datetime, object]] = [(t.at, t) for t in day.tickets]
    objects += [(r.at, r) for r in day.receivers] + [(a.at, a) for a in day.adjustments]
    for label in labels:
        if label.collect is None:
            continue
        picked = [o for at, o in objects if label.start <= at < label.end and label.collect(o)]
        label.subjects.extend(o for o in picked if not any(o is s for s in label.subjects))


def tickets(predicate: Callable[[Ticket], bool]) -> Callable[[object], bool]:
    """A ``collect`` predicate over tickets only."""
    return lambda o: isinstance(o, Ticket) and predicate(o)
