"""Baseline stock movements of Counterpoint stores: receivers against purchase orders, weekly
transfers from the warehouse, the odd return to vendor, and dead-count write-offs.

Clean by construction: receivers match their PO (a distributor occasionally short by one unit on a
big line, under 5 % and $100), transfers arrive whole, and write-offs of live goods follow the
seasonal curve (``demand.season``), so only scenarios produce discrepancies and spikes. Growers and
makers are paid in cash at delivery (``CASH_PAID``), which is normal for them (seed Q.6.1).
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from core.simulate import demand
from core.simulate.clock import at_local
from core.simulate.ids import Ids, derive
from core.simulate.movements import Adjustment, Day, Receiver, StockLine, Transfer, VendorReturn
from core.simulate.world import Employee, Store, Supplier, World

WRITE_OFF_RATE = 2.0  # units of the main live category written off on an average day, before the season


def stock_day(world: World, store: Store, day: date, out: Day) -> None:
    rng = derive(world.seed, "stock", store.key, day.isoformat())
    manager = world.staff(store.key, "manager")[0]
    for n, supplier in enumerate(world.suppliers):
        weekly = 2.0 if supplier.kind == "distributor" else 1.5 * demand.season(world, day)
        if rng.random() < weekly / 7:
            out.receivers.append(
                receiver(world, store, supplier, day, f"{store.key}/{day}/R{n}", rng, manager)
            )
    if day.weekday() == 1:
        out.transfers.append(transfer(world, world.warehouse, store, day, f"{store.key}/{day}/X", rng))
    if day.day in (10, 25):
        supplier = rng.choice([s for s in world.suppliers if s.kind == "distributor"])
        items = [i for i in world.items if i.category in supplier.categories]
        lines = [StockLine(rng.choice(items), rng.randint(1, 3)) for _ in range(rng.randint(1, 3))]
        out.vendor_returns.append(
            VendorReturn(
                f"{store.key}/{day}/V",
                store,
                supplier,
                at_local(day, 15, 30, 0, store.timezone),
                lines,
                "DAMAGED",
            )
        )
    write_offs(
        world, store, day, f"{store.key}/{day}/A", WRITE_OFF_RATE * demand.season(world, day), rng, out
    )


def receiver(
    world: World, store: Store, supplier: Supplier, day: date, key: str, rng: random.Random, user: Employee
) -> Receiver:
    items = [i for i in world.items if i.category in supplier.categories]
    picked = rng.sample(items, min(len(items), rng.randint(2, 6)))
    lines = [StockLine(item, rng.choice((12, 24, 24, 36, 48))) for item in picked]
    if supplier.kind == "distributor" and rng.random() < 0.1:
        big = max(lines, key=lambda line: line.qty)
        if big.qty >= 24 and big.item.cost < 9_000:
            big.actual = big.qty - 1
    at = at_local(day, 9, rng.randrange(60), rng.randrange(60), store.timezone) + timedelta(
        hours=rng.randint(0, 5)
    )
    po_no = f"PO-{store.external_id}-{Ids(world.seed).number('po', key, 6)}"
    return Receiver(key, store, supplier, at, po_no, lines, user, cash_paid=supplier.paid_in_cash)


def transfer(world: World, source: str, store: Store, day: date, key: str, rng: random.Random) -> Transfer:
    items = rng.sample(list(world.items), min(len(world.items), rng.randint(3, 7)))
    shipped = at_local(day, 7, rng.randrange(60), 0, store.timezone)
    return Transfer(
        key,
        source,
        store.external_id,
        shipped,
        shipped + timedelta(hours=rng.randint(3, 9)),
        store.timezone,
        [StockLine(item, rng.choice((6, 12, 12, 24))) for item in items],
    )


def write_offs(
    world: World,
    store: Store,
    day: date,
    key: str,
    mean: float,
    rng: random.Random,
    out: Day,
    category: str | None = None,
) -> list[Adjustment]:
    """One dead-count per live category per day, its size following the season within ±20 %: weekly
    totals stay smooth, so only a scenario makes a week stand out."""
    categories = [c for c in world.categories if (c.live if category is None else c.code == category)]
    made = []
    for n, cat in enumerate(categories):
        units = round(mean * cat.weight / max(c.weight for c in categories) * rng.uniform(0.8, 1.2))
        if units <= 0:
            continue
        item = rng.choice(world.items_in(cat.code))
        adjustment = Adjustment(
            f"{key}{n}",
            store,
            item,
            -units,
            "DEAD",
            at_local(day, 18, rng.randrange(60), rng.randrange(60), store.timezone),
            f"DC{day:%y%m%d}",
        )
        out.adjustments.append(adjustment)
        made.append(adjustment)
    return made
