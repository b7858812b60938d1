"""Knobs: how a scenario bends baseline trading without writing the tickets itself.

A device anomaly (a void spike, a refund creep, a cash burst) is not a handful of special tickets; it
is the device's ordinary traffic with one rate changed. Scenarios register ``Knob`` entries for a
station (or a whole store) over a time window; trading asks ``Knobs.at(station, instant)`` for each
hour it generates and applies the combined effect. A ramp (``ramp_days``) grows a multiplier linearly
from 1 at ``start`` to its full value ``ramp_days`` later, then holds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Effect:
    """The combined change for one station-hour. ``None`` leaves the baseline value."""

    void_p: float | None = None
    refund_mult: float = 1.0
    refund_p: float | None = None
    cash_p: float | None = None
    ticket_mult: float = 1.0
    ticket_rate: float | None = None  # tickets per hour even outside opening hours
    nosale_rate: float = 0.0  # extra NO_SALE drawer events per hour
    void_mult: float = 1.0


@dataclass(frozen=True)
class Knob:
    store: str
    station: str | None  # None: every station of the store
    start: datetime
    end: datetime
    effect: Effect
    ramp_days: float = 0.0  # refund_mult / void_mult / ticket_mult grow from 1 over this many days

    def applies(self, store: str, station: str, instant: datetime) -> bool:
        return self.store == store and self.station in (None, station) and self.start <= instant < self.end

    def scaled(self, instant: datetime) -> Effect:
        if self.ramp_days <= 0:
            return self.effect
        done = min(1.0, (instant - self.start) / timedelta(days=self.ramp_days))

        def grow(full: float) -> float:
            return 1.0 + (full - 1.0) * done

        e = self.effect
        return Effect(
            e.void_p,
            grow(e.refund_mult),
            e.refund_p,
            e.cash_p,
            grow(e.ticket_mult),
            e.ticket_rate,
            e.nosale_rate,
            grow(e.void_mult),
        )


@dataclass
class Knobs:
    entries: list[Knob] = field(default_factory=list)

    def add(self, knob: Knob) -> None:
        self.entries.append(knob)

    def at(self, store: str, station: str, instant: datetime) -> Effect:
        effect = Effect()
        for knob in self.entries:
            if knob.applies(store, station, instant):
                effect = _combine(effect, knob.scaled(instant))
        return effect

    def forced(self, store: str, station: str, begin: datetime, end: datetime) -> list[Knob]:
        """Entries that force traffic (``ticket_rate``) on a station within [begin, end)."""
        return [
            k
            for k in self.entries
            if k.effect.ticket_rate is not None
            and k.store == store
            and k.station == station
            and k.start < end
            and begin < k.end
        ]


def _combine(a: Effect, b: Effect) -> Effect:
    return Effect(
        void_p=b.void_p if b.void_p is not None else a.void_p,
        refund_mult=a.refund_mult * b.refund_mult,
        refund_p=b.refund_p if b.refund_p is not None else a.refund_p,
        cash_p=b.cash_p if b.cash_p is not None else a.cash_p,
        ticket_mult=a.ticket_mult * b.ticket_mult,
        ticket_rate=b.ticket_rate if b.ticket_rate is not None else a.ticket_rate,
        nosale_rate=a.nosale_rate + b.nosale_rate,
        void_mult=a.void_mult * b.void_mult,
    )
