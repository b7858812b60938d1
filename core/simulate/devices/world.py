"""A chain of registers trading hour by hour, with Bubble's anomalies injected and labelled.

Stores of five devices (three lanes, an express lane, a service desk) trade 8 weeks from a Monday
(UTC stands in for store-local time). Traffic follows a daily profile with lunch and evening peaks,
busier Saturdays, shorter Sundays, per-store and per-device sizes, store-day random effects shared
by a store's devices, +1 %/week growth and random off-peak lane closures. Rates (void, refund, cash)
vary per device around their class means. Weeks 1–3 train, week 4 is the clean calibration window,
the anomalies (scenarios.py) fall in weeks 5–8. Deterministic per seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from core.bubble.dimensions import DeviceHour
from core.simulate.devices.labels import DeviceLabel
from core.simulate.devices.scenarios import Effects, plan
from core.simulate.ids import derive

START = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
CLASSES = {  # traffic multiplier, void, refund, cash, mean ticket (cents), no-sales/h
    "lane": (1.0, 0.02, 0.008, 0.25, 4500, 0.10),
    "express": (1.3, 0.012, 0.004, 0.40, 1400, 0.08),
    "service": (0.3, 0.03, 0.25, 0.20, 7000, 0.40),
}
LAYOUT = (("L1", "lane"), ("L2", "lane"), ("L3", "lane"), ("X1", "express"), ("SD1", "service"))
PROFILE = np.array(
    [0, 0, 0, 0, 0, 0, 0, 0.5, 0.7, 0.8, 0.9, 1.1, 1.5, 1.4, 1.0, 0.9, 1.0, 1.3, 1.4, 1.1, 0.8, 0.6, 0.4, 0]
)
BASE_RATE = 10.0  # transactions an hour at a lane of an average store at profile 1.0
TICKET_SIGMA = 0.8


@dataclass
class Device:
    id: str
    store: str
    kind: str
    traffic: float
    void: float
    refund: float
    cash: float
    ticket: float
    nosale: float
    installed: int = 0  # first day with activity (cold start: installed mid-way)


@dataclass
class DeviceWorld:
    seed: int
    stores: list[str]
    devices: list[Device]
    start: datetime
    days: int
    hours: list[DeviceHour] = field(default_factory=list)
    labels: list[DeviceLabel] = field(default_factory=list)

    @property
    def calibration_end(self) -> datetime:
        """The end of the clean window (weeks 1–4)."""
        return self.start + timedelta(days=28)


def device_world(seed: int = 0, stores: int = 10, weeks: int = 8) -> DeviceWorld:
    rng = np.random.default_rng(derive(seed, "device-world").getrandbits(64))
    devices: list[Device] = []
    store_ids = [f"S{n + 1:02d}" for n in range(stores)]
    hours_open: dict[str, tuple[int, int]] = {}
    store_size: dict[str, float] = {}
    for s in store_ids:
        hours_open[s] = (int(rng.integers(7, 9)), int(rng.integers(21, 24)))
        store_size[s] = float(rng.lognormal(0, 0.3))
        for suffix, kind in LAYOUT:
            traffic, void, refund, cash, ticket, nosale = CLASSES[kind]
            devices.append(
                Device(
                    f"{s}-{suffix}",
                    s,
                    kind,
                    traffic * store_size[s] * float(rng.lognormal(0, 0.2)),
                    _beta(rng, void),
                    _beta(rng, refund),
                    _beta(rng, cash),
                    ticket * float(rng.lognormal(0, 0.15)),
                    nosale,
                )
            )
    days = weeks * 7
    world = DeviceWorld(seed, store_ids, devices, START, days)
    effects = plan(world, rng)
    for day in range(days):
        _trade_day(world, day, hours_open, effects, rng)
    world.labels = effects.labels
    return world


def _beta(rng: np.random.Generator, mean: float, strength: float = 200.0) -> float:
    return float(rng.beta(mean * strength, (1 - mean) * strength))


def _trade_day(world: DeviceWorld, day: int, hours_open, effects: Effects, rng) -> None:  # type: ignore[no-untyped-def]
    date = world.start + timedelta(days=day)
    weekday = date.weekday()
    store_day = {s: float(rng.lognormal(0, 0.1)) for s in world.stores}
    growth = 1.01 ** (day / 7)
    for dev in world.devices:
        opens, closes = hours_open[dev.store]
        if weekday == 6:
            opens, closes = opens + 2, closes - 2
        for h in range(24):
            hour = date + timedelta(hours=h)
            fx = effects.at(dev, hour)
            if day < dev.installed:
                continue
            is_open = opens <= h < closes
            mean = 0.0
            if is_open:
                mean = BASE_RATE * PROFILE[h] * dev.traffic * store_day[dev.store] * growth
                mean *= 1.25 if weekday == 5 else 1.0
                if dev.kind == "lane" and PROFILE[h] < 1.0 and rng.random() < 0.2:
                    mean = 0.0  # lane closed for the quiet hour
            mean = mean * fx.traffic + fx.extra_traffic
            n = int(rng.poisson(mean)) if mean > 0 else 0
            void_p = min(fx.void_p if fx.void_p is not None else dev.void * fx.void_mult, 0.95)
            refund_p = min(fx.refund_p if fx.refund_p is not None else dev.refund * fx.refund_mult, 0.95)
            cash_p = min(fx.cash_p if fx.cash_p is not None else dev.cash * fx.cash_mult, 0.99)
            voids = int(rng.binomial(n, void_p))
            refunds = int(rng.binomial(n, refund_p))
            cash = int(rng.binomial(n, cash_p))
            mu = np.log(dev.ticket) - TICKET_SIGMA**2 / 2
            amount = 0
            if n:
                amount = int(
                    n
                    * np.exp(mu + TICKET_SIGMA**2 / 2)
                    * fx.ticket
                    * rng.lognormal(0, TICKET_SIGMA / np.sqrt(n))
                )
            nosales = int(rng.poisson(dev.nosale * (1.0 if is_open else 0.02) + fx.extra_nosales))
            network = int(rng.poisson(0.05 + fx.extra_network))
            employees = 0
            if n or nosales:
                employees = 1 + int(h in (14, 15) and rng.random() < 0.5)
            gap = round(60.0 / n * float(rng.lognormal(0, 0.2)), 2) if n >= 2 else None
            if n == 0 and nosales == 0 and network == 0:
                continue
            world.hours.append(
                DeviceHour(
                    dev.id, dev.store, hour, n, amount, voids, refunds, nosales, cash, gap, employees, network
                )
            )
            if n > 0:
                effects.observed(dev, hour)
