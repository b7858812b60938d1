"""When customers come and what they buy: hour-of-day, day-of-week and seasonal traffic, promotion
and event days, and the category mix (live goods follow the season harder than hard goods)."""

from __future__ import annotations

from datetime import date

from core.simulate.verticals import VERTICALS, Vertical
from core.simulate.world import Category, Promotion, Store, World

EVENT_TRAFFIC = 1.25  # an event day draws more people to every store
PROMO_TRAFFIC = 1.10


def spec(world: World) -> Vertical:
    return VERTICALS[world.vertical]


def season(world: World, day: date) -> float:
    """The monthly multiplier interpolated between mid-months, so March 31 and April 1 are close."""
    months = spec(world).season
    position = day.month - 1 + (day.day - 15) / 30
    low = int(position // 1)
    frac = position - low
    return months[low % 12] * (1 - frac) + months[(low + 1) % 12] * frac


def is_event_day(world: World, day: date) -> bool:
    return day in world.event_days


def promotion(world: World, day: date, category: str) -> Promotion | None:
    for promo in world.promotions:
        if promo.category == category and promo.start <= day <= promo.end:
            return promo
    return None


def promo_day(world: World, day: date) -> bool:
    return any(p.start <= day <= p.end for p in world.promotions)


def hourly_mean(world: World, store: Store, day: date, hour: int) -> float:
    """Expected tickets for the whole store in one opening hour; 0 when closed."""
    opens, closes = store.hours(day)
    if not opens <= hour < closes:
        return 0.0
    vertical = spec(world)
    shape = vertical.hour_shape[min(len(vertical.hour_shape) - 1, hour - vertical.hours[0])]
    per_hour = vertical.tickets_per_day / sum(vertical.hour_shape)
    mean = per_hour * shape * store.size * vertical.weekday[day.weekday()] * season(world, day)
    if is_event_day(world, day):
        mean *= EVENT_TRAFFIC
    if promo_day(world, day):
        mean *= PROMO_TRAFFIC
    return mean


def category_weights(world: World, day: date) -> list[tuple[Category, float]]:
    """Live goods swing with the season (squared), so spring baskets are mostly plants."""
    boost = season(world, day)
    return [(c, c.weight * (boost * boost if c.live else 1.0)) for c in world.categories]


def station_shares(store: Store, day: date, world: World) -> dict[str, float]:
    """How the store's traffic splits across stations. Register 3 opens on weekends and event days
    (as the event tent on event days); the service desk takes a trickle of sales."""
    busy = day.weekday() >= 5 or is_event_day(world, day)
    shares = {"register": 0.5, "register2": 0.38, "event": 0.25 if busy else 0.0, "service": 0.05}
    total = sum(shares.values())
    out: dict[str, float] = {}
    registers = 0
    for station in store.stations:
        if station.kind == "register":
            key = "register" if registers == 0 else "register2"
            registers += 1
        else:
            key = station.kind
        out[station.key] = shares[key] / total
    return out
