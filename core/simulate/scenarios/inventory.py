"""Inventory and shrink (seed Q.2.7): Q-IS-01..04 and the garden-center hard negatives (cash-paid
growers, seasonal live-goods shrink), on Counterpoint exports: PO_RECVR_HIST (with the PO quantities
joined in), IM_XFER_HDR / IM_XFER_IN_HIST, IM_ADJ_HIST."""

from __future__ import annotations

from datetime import date, timedelta

from core.simulate import stock
from core.simulate.clock import at_local
from core.simulate.movements import Adjustment, Receiver
from core.simulate.scenarios.base import HARD_NEGATIVE, POSITIVE, Entity, Planner
from core.simulate.world import COUNTERPOINT, Store

LAST_YEAR = timedelta(days=364)  # 52 weeks: the same ISO week and weekday a year earlier


def _receiver_label(
    planner: Planner,
    kind: str,
    rule: str,
    polarity: str,
    note: str,
    *,
    cash: bool,
    short: bool,
    queue: str | None = None,
    every: bool = False,
) -> None:
    store = planner.store(COUNTERPOINT)
    suppliers = [s for s in planner.world.suppliers if s.kind == kind] if store else []
    if store is None or not suppliers:
        planner.plan.skipped.append(planner.type)
        return
    supplier = planner.rng.choice(suppliers)
    day = planner.day(weekday=True)
    manager = planner.world.staff(store.key, "manager")[0]
    receiver = stock.receiver(
        planner.world, store, supplier, day, planner.key(planner.type), planner.rng, manager
    )
    receiver.cash_paid = cash
    if short:
        dear = max(receiver.lines, key=lambda line: line.item.cost)
        dear.qty = 48
        dear.actual = 36
        receiver.lines = [dear, *[line for line in receiver.lines if line is not dear][:1]]
    planner.inject(store, day, receiver)
    if every:  # the whole class: every cash delivery from this kind of supplier in the window
        start, end = (
            at_local(planner.world.start, 0, 0, 0, store.timezone),
            at_local(planner.world.start + timedelta(days=planner.world.days), 0, 0, 0, store.timezone),
        )
        planner.label(
            rule,
            polarity,
            Entity("vendor", kind, None),
            start,
            end,
            store,
            [receiver],
            note=note,
            allowed_queue=queue,
            collect=lambda r: isinstance(r, Receiver) and r.supplier.kind == kind and r.cash_paid,
        )
        return
    planner.label(
        rule,
        polarity,
        Entity("vendor", supplier.code, store.key),
        receiver.at,
        receiver.at + timedelta(minutes=30),
        store,
        [receiver],
        note=note,
        allowed_queue=queue,
    )


def receiver_discrepancy(planner: Planner) -> None:
    """Q-IS-01: "flag any receiver Document whose total quantity differs from the originating PO by >
    5% or > $100". A distributor's delivery is booked 12 units short on its dearest line."""
    _receiver_label(
        planner,
        "distributor",
        "Q-IS-01",
        POSITIVE,
        "48 ordered, 36 received on one line",
        cash=False,
        short=True,
    )


def cash_paid_receiver(planner: Planner) -> None:
    """Q-IS-02: "cash-paid receiver classification routed to an 'ad-hoc-vendor-payment' review queue,
    NOT the fraud queue". A distributor, normally paid on terms, is paid in cash at the door."""
    _receiver_label(
        planner,
        "distributor",
        "Q-IS-02",
        POSITIVE,
        "expected in the review queue, not fraud",
        cash=True,
        short=False,
    )


def cash_paid_grower(planner: Planner) -> None:
    """Hard negative for the fraud queue (seed Q.6.1): "cash-paid receivers from my specialty growers
    to land in a 'review and confirm' queue, not in the same alert stream as suspected fraud"."""
    kind = "grower" if planner.world.vertical == "garden" else "maker"
    _receiver_label(
        planner,
        kind,
        "Q-IS-02",
        HARD_NEGATIVE,
        f"every cash delivery from a {kind}: review queue at most, never fraud",
        cash=True,
        short=False,
        queue="review",
        every=True,
    )


def transfer_route_loss(planner: Planner) -> None:
    """Q-IS-03: "every transfer Document compared source-quantity vs destination-received-quantity,
    aggregating shrinkage to a per-route trend". Two shipments from the warehouse arrive 10–15 %
    short on the same route."""
    store = planner.store(COUNTERPOINT)
    if store is None:
        return
    transfers = []
    first = planner.day(0.2, 0.5)
    for n in range(2):
        day = first + timedelta(days=3 + 4 * n)
        transfer = stock.transfer(
            planner.world, planner.world.warehouse, store, day, planner.key(f"is03/{n}"), planner.rng
        )
        for line in transfer.lines:
            line.actual = line.qty - max(1, line.qty * planner.rng.randint(10, 15) // 100)
        planner.inject(store, day, transfer)
        transfers.append(transfer)
    route = f"{planner.world.warehouse}>{store.external_id}"
    planner.label(
        "Q-IS-03",
        POSITIVE,
        Entity("route", route, store.key),
        transfers[0].shipped_at,
        transfers[-1].received_at,
        store,
        list(transfers),
        note="two short transfers on one route",
    )


def _write_offs(
    store: Store, category: str, day: date, planner: Planner, count: int, tag: str
) -> list[Adjustment]:
    pool = planner.world.items_in(category)
    made = []
    for n in range(count):
        at = at_local(day, 17, planner.rng.randrange(60), planner.rng.randrange(60), store.timezone)
        made.append(
            Adjustment(
                planner.key(f"{tag}/{day}/{n}"),
                store,
                planner.rng.choice(pool),
                -3,
                "DEAD",
                at,
                f"DC{day:%y%m%d}",
            )
        )
    planner.inject(store, day, *made)
    return made


def write_off_spike(planner: Planner) -> None:
    """Q-IS-04: "dead-count write-offs tracked against seasonal baseline (per category, per season) so
    spikes surface but normal seasonal shrink doesn't". In the last week a shrub (or fresh food)
    dead-count runs at ten times its usual level, this year only."""
    store = planner.store(COUNTERPOINT)
    if store is None:
        return
    world = planner.world
    category = "SHRUBS" if world.vertical == "garden" else "SNACKS"
    end = world.start + timedelta(days=world.days - 1)
    days = [end - timedelta(days=n) for n in reversed(range(min(4, world.days)))]
    made = sorted(
        (a for day in days for a in _write_offs(store, category, day, planner, 4, "is04")), key=lambda a: a.at
    )
    planner.label(
        "Q-IS-04",
        POSITIVE,
        Entity("category", category, store.key),
        made[0].at,
        made[-1].at,
        store,
        list(made),
        note="trend queue (informational)",
        allowed_queue="trend",
    )


def seasonal_live_goods_shrink(planner: Planner) -> None:
    """Hard negative for Q-IS-04 (seed Q.6.4, "seasonal baseline per category; only spikes above
    baseline flag"): live goods die faster as spring warms up, and the first warm week kills annuals
    at three times the usual rate, exactly as in the same weeks last year (a year of write-off
    history precedes the window). Every routine live-goods write-off in the window is covered."""
    store = planner.store(COUNTERPOINT)
    if store is None:
        return
    world = planner.world
    category = next(c.code for c in world.categories if c.live)
    first = planner.day(0.3, 0.7)
    for offset in range(3):
        day = first + timedelta(days=offset)
        _write_offs(store, category, day, planner, 3, "season")
        _write_offs(store, category, day - LAST_YEAR, planner, 3, "season-last-year")
    start = at_local(world.start, 0, 0, 0, store.timezone)
    end = at_local(world.start + timedelta(days=world.days), 0, 0, 0, store.timezone)
    planner.label(
        "Q-IS-04",
        HARD_NEGATIVE,
        Entity("store", store.external_id, store.key),
        start,
        end,
        store,
        [],
        note="live-goods write-offs that follow last year's curve (garden pack: baseline=seasonal)",
        collect=lambda a: (
            isinstance(a, Adjustment)
            and a.store.key == store.key
            and "is04" not in a.key
            and world.category_by_code[a.item.category].live
        ),
    )


SCENARIOS = (
    receiver_discrepancy,
    cash_paid_receiver,
    cash_paid_grower,
    transfer_route_loss,
    write_off_spike,
    seasonal_live_goods_shrink,
)
