"""``build_world``: the merchant's profiles, drawn once from the seed."""

from __future__ import annotations

import random
from datetime import date, timedelta

from core.simulate import people
from core.simulate.ids import Ids, derive
from core.simulate.verticals import JURISDICTIONS, VERTICALS, Vertical
from core.simulate.world import (
    COUNTERPOINT,
    SQUARE,
    Category,
    Item,
    Jurisdiction,
    Merchant,
    MixMatch,
    Promotion,
    Station,
    Store,
    Supplier,
    TaxAuthority,
    World,
)

VENDOR_LAYOUTS = ("mixed", SQUARE, COUNTERPOINT)
API_VERSION = "2025-08-20"
_NAMES = {"garden": ("Greenway Garden Centers", "GREENWAY"), "retail": ("Maple & Main Goods", "MAPLEMAIN")}
_STATIONS = (
    ("R1", "Register 1", "register"),
    ("R2", "Register 2", "register"),
    ("R3", "Register 3 / event tent", "event"),
    ("SD", "Service desk", "service"),
)


def build_world(
    seed: int,
    stores: int = 2,
    days: int = 30,
    vertical: str = "garden",
    start: date = date(2026, 3, 1),
    *,
    vendors: str = "mixed",
    notification_url: str | None = None,
) -> World:
    """A merchant with ``stores`` stores trading for ``days`` days from ``start``. With ``vendors``
    "mixed" the first store runs Square, the second Counterpoint, and so on alternately."""
    if vertical not in VERTICALS:
        raise ValueError(f"vertical must be one of {', '.join(sorted(VERTICALS))}, not {vertical!r}")
    if vendors not in VENDOR_LAYOUTS:
        raise ValueError(f"vendors must be one of {', '.join(VENDOR_LAYOUTS)}, not {vendors!r}")
    if not 1 <= stores <= 20 or not 1 <= days <= 400:
        raise ValueError("stores must be 1..20 and days 1..400")
    spec, ids, rng = VERTICALS[vertical], Ids(seed), derive(seed, "world")
    name, company = _NAMES[vertical]
    merchant_key = f"sim-{seed}"
    merchant = Merchant(
        name=name,
        square_merchant_id=ids.upper("merchant", merchant_key),
        notification_url=notification_url or f"http://127.0.0.1:8000/webhooks/square?merchant={merchant_key}",
        signature_key=ids.urlsafe("signature-key", merchant_key, 22),
        square_api_version=API_VERSION,
        cp_company=company,
    )
    store_list = [_store(index, vendors, spec, ids, rng) for index in range(stores)]
    employees = [e for store in store_list for e in people.employees(store, ids, rng)]
    items = _items(spec, ids, rng)
    customers = [c for store in store_list for c in people.customers(store, spec, start, days, ids, rng)]
    customers += [people.staff_account(e, start, ids) for e in employees if e.store in _cp(store_list)]
    promo_start = start + timedelta(days=max(1, days * 2 // 5))
    return World(
        seed=seed,
        vertical=vertical,
        start=start,
        days=days,
        merchant=merchant,
        stores=tuple(store_list),
        employees=tuple(employees),
        customers=tuple(customers),
        categories=tuple(
            Category(c.code, c.descr, c.min_pct, c.trgt_pct, c.weight, c.live) for c in spec.categories
        ),
        items=tuple(items),
        mix_matches=tuple(
            MixMatch(
                m.code,
                m.descr,
                m.category,
                m.size,
                m.price_cents,
                tuple(i.sku for i in items if i.mix_match == m.code),
            )
            for m in spec.mix_matches
        ),
        suppliers=tuple(Supplier(s.code, s.name, s.kind, s.categories) for s in spec.suppliers),
        promotions=(
            Promotion(
                "PROMO15",
                spec.promo_name,
                spec.promo_category,
                15,
                promo_start,
                promo_start + timedelta(days=6),
            ),
        ),
        event_days=tuple(
            d
            for d in (start + timedelta(days=n) for n in range(days))
            if d.weekday() == 5 and d.month in spec.event_months
        ),
    )


def _cp(stores: list[Store]) -> set[str]:
    return {store.key for store in stores if store.vendor == COUNTERPOINT}


def _store(index: int, vendors: str, spec: Vertical, ids: Ids, rng: random.Random) -> Store:
    key = f"S{index + 1}"
    vendor = vendors if vendors != "mixed" else (SQUARE if index % 2 == 0 else COUNTERPOINT)
    state, state_bp, counties, cities, zone = JURISDICTIONS[(index + rng.randrange(5)) % len(JURISDICTIONS)]
    pick = rng.randrange(2)
    (county, county_bp), (city, city_bp) = counties[pick], cities[pick]
    authorities = tuple(
        TaxAuthority(code, code.title(), bp)
        for code, bp in ((state, state_bp), (county, county_bp), (city, city_bp))
        if bp
    )
    external = ids.upper("location", key) if vendor == SQUARE else f"{index + 1}0"
    stations = tuple(
        Station(
            key=f"{key}-{code}",
            store=key,
            number=n + 1,
            name=label,
            kind=kind,
            external_id=f"device:{ids.uuid('device', f'{key}-{code}')}"
            if vendor == SQUARE
            else f"{external}-{n + 1}",
            drawer_id=f"{external}-{n + 1}",
        )
        for n, (code, label, kind) in enumerate(_STATIONS)
    )
    return Store(
        key=key,
        index=index,
        name=f"{city.title()} {'Garden Center' if spec.name == 'garden' else 'Goods'}",
        vendor=vendor,
        external_id=external,
        timezone=zone,
        city=city.title(),
        state=state,
        jurisdiction=Jurisdiction(f"{state}{county[:3]}", authorities),
        size=round(rng.uniform(0.8, 1.25), 2),
        open_hour=spec.hours[0],
        close_hour=spec.hours[1],
        max_disc_pct=rng.choice((25, 30)),
        max_disc_amt=100,
        stations=stations,
    )


def _items(spec: Vertical, ids: Ids, rng: random.Random) -> list[Item]:
    items = []
    for category in spec.categories:
        vendors = [s.code for s in spec.suppliers if category.code in s.categories]
        groups = [m for m in spec.mix_matches if m.category == category.code]
        for n, (name, price) in enumerate(category.items):
            margin = (category.trgt_pct + rng.uniform(-3, 4)) / 100
            sku = f"{category.code[:3]}-{n + 1:03d}"
            group = next(
                (m.code for m in groups if price <= m.max_list_cents and price * 2 >= m.max_list_cents), None
            )
            items.append(
                Item(
                    sku,
                    name,
                    category.code,
                    price,
                    round(price * (1 - margin)),
                    rng.choice(vendors),
                    ids.upper("catalog", sku, 24),
                    group,
                )
            )
    return items
