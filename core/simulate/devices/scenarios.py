"""The injected device anomalies, the hard negative and the cold starts, as effects on trading.

Positives (weeks 5–8; a label's device-hours are the hours with a sale in its window, where the
anomaly is observable):
- void-rate spike: a register voids 25 % of its tickets for 6 h (three events, one on a device
  installed mid-way);
- refund-rate creep: one lane's refund rate ramps linearly to 10× over 14 days, then holds
  (labelled from the day it reaches 3×);
- cash-only / no-sale burst: cash share 97 % and about five extra no-sales an hour for 3 h (two);
- off-hours activity: about seven tickets an hour at 01:00–04:00 with 30 % refunds and network
  events, store closed (two);
- whole-store drift: every device of one store for two days: void ×3, ticket ×0.7, cash ×1.6.
Hard negative: a chain-wide promotion (the Saturday of week 7): traffic ×1.5 everywhere.
Context: two devices are installed at the start of week 5 (no history before).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

from core.simulate.devices.labels import (
    CASH_BURST,
    COLD_START,
    OFF_HOURS,
    PROMOTION,
    REFUND_CREEP,
    STORE_DRIFT,
    VOID_SPIKE,
    DeviceLabel,
)

if TYPE_CHECKING:
    from core.simulate.devices.world import Device, DeviceWorld

HOUR = timedelta(hours=1)


@dataclass
class Fx:
    traffic: float = 1.0
    extra_traffic: float = 0.0
    void_p: float | None = None
    void_mult: float = 1.0
    refund_p: float | None = None
    refund_mult: float = 1.0
    cash_p: float | None = None
    cash_mult: float = 1.0
    ticket: float = 1.0
    extra_nosales: float = 0.0
    extra_network: float = 0.0


@dataclass
class _Injection:
    label: DeviceLabel
    store: str | None
    device: str | None
    start: datetime
    end: datetime
    apply: object  # (Fx, hour) -> None
    labelled_from: datetime | None = None


class Effects:
    def __init__(self) -> None:
        self.injections: list[_Injection] = []
        self.labels: list[DeviceLabel] = []

    def add(self, injection: _Injection) -> None:
        self.injections.append(injection)
        self.labels.append(injection.label)

    def at(self, dev: Device, hour: datetime) -> Fx:
        fx = Fx()
        for inj in self.injections:
            if inj.start <= hour < inj.end and _covers(inj, dev):
                inj.apply(fx, hour)  # type: ignore[operator]
        return fx

    def observed(self, dev: Device, hour: datetime) -> None:
        for inj in self.injections:
            lab = inj.label
            if lab.polarity != "positive" or not (inj.start <= hour < inj.end) or not _covers(inj, dev):
                continue
            if inj.labelled_from is None or hour >= inj.labelled_from:
                lab.hours.add((dev.id, hour))


def _covers(inj: _Injection, dev: Device) -> bool:
    if inj.device is not None:
        return inj.device == dev.id
    return inj.store is None or inj.store == dev.store


def plan(world: DeviceWorld, rng: np.random.Generator) -> Effects:
    fx = Effects()
    test_start = world.start + timedelta(days=28)
    test_days = world.days - 28
    by_store = {s: [d for d in world.devices if d.store == s] for s in world.stores}
    stores = [str(s) for s in rng.permutation(world.stores)]

    def day(lo: float, hi: float) -> datetime:
        return test_start + timedelta(
            days=int(rng.integers(int(lo * test_days), max(int(hi * test_days), 1)))
        )

    # cold starts: two devices of different stores begin trading at week 5
    cold = [by_store[stores[0 % len(stores)]][1], by_store[stores[1 % len(stores)]][3]]
    for dev in cold:
        dev.installed = 28
        fx.labels.append(
            DeviceLabel(
                COLD_START,
                "device",
                "context",
                dev.store,
                dev.id,
                test_start,
                test_start + timedelta(days=test_days),
                "",
                note="installed at week 5",
            )
        )

    def window(
        label_type: str,
        dev: Device | None,
        store: str | None,
        start: datetime,
        hours: int,
        top: str,
        apply: Callable[[Fx, datetime], None],
        note: str,
        scope: str = "device",
        labelled_from: datetime | None = None,
    ) -> None:
        end = start + hours * HOUR
        label = DeviceLabel(
            label_type,
            scope,
            "positive",
            store or (dev.store if dev else None),
            dev.id if dev else None,
            labelled_from or start,
            end,
            top,
            note=note,
        )
        fx.add(_Injection(label, store, dev.id if dev else None, start, end, apply, labelled_from))

    def void(f: Fx, _h: datetime) -> None:
        f.void_p = 0.25

    spiked = [cold[0], by_store[stores[2 % len(stores)]][0], by_store[stores[3 % len(stores)]][2]]
    for i, dev in enumerate(spiked):
        start = day(0.25 + 0.2 * i, 0.45 + 0.2 * i).replace(hour=10 + int(rng.integers(0, 4)))
        window(VOID_SPIKE, dev, None, start, 6, "void_rate", void, "void rate 25 % for 6 h")

    creeper = by_store[stores[4 % len(stores)]][0]
    creep_start = test_start + timedelta(days=2)

    def creep(f: Fx, h: datetime) -> None:
        f.refund_mult = 1.0 + 9.0 * min((h - creep_start) / timedelta(days=14), 1.0)

    window(
        REFUND_CREEP,
        creeper,
        None,
        creep_start,
        (test_days - 2) * 24,
        "refund_rate",
        creep,
        "refund rate ramps to 10× over 14 days, then holds",
        labelled_from=creep_start + timedelta(days=14 * 2 / 9),
    )

    def burst(f: Fx, _h: datetime) -> None:
        f.cash_p, f.extra_nosales = 0.97, 5.0

    for i, dev in enumerate([by_store[stores[5 % len(stores)]][1], by_store[stores[6 % len(stores)]][0]]):
        start = day(0.1 + 0.4 * i, 0.4 + 0.4 * i).replace(hour=11 + int(rng.integers(0, 5)))
        window(
            CASH_BURST, dev, None, start, 3, "cash_share", burst, "cash share 97 %, ~5 no-sales an hour, 3 h"
        )

    def off(f: Fx, _h: datetime) -> None:
        f.extra_traffic, f.refund_p, f.extra_network = 7.0, 0.3, 3.0

    for i, dev in enumerate([by_store[stores[7 % len(stores)]][2], by_store[stores[8 % len(stores)]][0]]):
        start = day(0.15 + 0.4 * i, 0.45 + 0.4 * i).replace(hour=1)
        window(
            OFF_HOURS, dev, None, start, 3, "transactions", off, "≈7 tickets/h at 01:00–04:00, 30 % refunds"
        )

    def drift(f: Fx, _h: datetime) -> None:
        f.void_mult, f.ticket, f.cash_mult = 3.0, 0.7, 1.6

    drift_store = stores[9 % len(stores)]
    start = day(0.3, 0.6).replace(hour=0)
    window(
        STORE_DRIFT,
        None,
        drift_store,
        start,
        48,
        "",
        drift,
        "every device: void ×3, ticket ×0.7, cash ×1.6 for 2 days",
        scope="store",
    )

    promo = world.start + timedelta(days=47)  # the Saturday of week 7

    def promotion(f: Fx, _h: datetime) -> None:
        f.traffic = 1.5

    label = DeviceLabel(
        PROMOTION,
        "chain",
        "hard_negative",
        None,
        None,
        promo,
        promo + timedelta(days=1),
        "",
        note="chain-wide promotion: traffic ×1.5 everywhere; no signal expected",
    )
    fx.add(_Injection(label, None, None, promo, promo + timedelta(days=1), promotion))
    return fx
