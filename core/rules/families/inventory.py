"""Inventory and shrink (Q.2.7): receivers that disagree with their purchase order, cash-paid
receivers (a review queue, not fraud), transfer loss per route, and write-offs against a seasonal
baseline (informational)."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from core.rules.context import RuleContext
from core.rules.facts import Facts
from core.rules.families.audit_trail import week_of
from core.rules.model import Family, Finding, Parameter, Queue, Scope, Severity, Subject, Substrate, rule
from core.rules.state import RuleState, Window
from core.rules.windows import DAY, ITEMS, item_category, named_categories
from core.text import money

CP = (Substrate.COUNTERPOINT,)
WEEKS_KEPT = 110  # two seasons and a bit
WEEK = 7 * 86_400.0
SINCE = "__history__"  # the earliest write-off this rule has seen: a baseline needs history behind it


@rule(
    id="Q-IS-01",
    family=Family.INVENTORY,
    title="Receiver vs purchase-order discrepancy",
    requires=("receiver_lines.quantity_received", "receiver_lines.po_quantity_ordered"),
    optional=("receiver_lines.unit_cost_cents", "receiver_lines.po_unit_cost_cents"),
    triggers=("receiver",),
    parameters=(
        Parameter("qty_pct", 5.0, "Quantity difference from the PO, in percent", 0.0, 100.0, unit="%"),
        Parameter(
            "amount_cents", 10_000, "Value of the difference from the PO", 0, 100_000_000, unit="cents"
        ),
    ),
    allow_scopes=(Scope.VENDOR, Scope.LOCATION, Scope.ITEM),
    severity=Severity.MEDIUM,
    substrates=CP,
    vertical_note="manual-entry noise at growers: the garden-center pack widens both tolerances",
)
def receiver_po_discrepancy(ctx: RuleContext) -> Iterable[Finding]:
    """A receiver whose received quantity differs from the purchase order by more than the percentage
    tolerance, or whose difference is worth more than the money tolerance (quantity differences at
    the PO cost plus cost differences at the received quantity)."""
    receiver = ctx.facts.receiver
    lines = [li for li in ctx.facts.receiver_lines if li.po_quantity_ordered is not None]
    if receiver is None or not lines:
        return []
    ordered = sum(li.po_quantity_ordered or 0.0 for li in lines)
    received = sum(li.quantity_received for li in lines)
    value = 0.0
    for li in lines:
        unit = li.po_unit_cost_cents or li.unit_cost_cents or 0
        value += abs(li.quantity_received - (li.po_quantity_ordered or 0.0)) * unit
        if li.unit_cost_cents is not None and li.po_unit_cost_cents is not None:
            value += abs(li.unit_cost_cents - li.po_unit_cost_cents) * li.quantity_received
    pct = abs(received - ordered) * 100.0 / ordered if ordered else 100.0
    if pct <= ctx.num("qty_pct") and value <= ctx.whole("amount_cents"):
        return []
    return [
        Finding(
            summary=f"receiver {receiver.receiver_no} off its PO by {pct:.1f} % ({money(value)})",
            subject=Subject(
                location_id=receiver.location,
                vendor_id=receiver.vendor_no,
                items=tuple(sorted({li.item_id for li in lines if li.item_id})),
            ),
            occurred_at=ctx.facts.occurred_at,
            entity_id=receiver.id,
            measurements={
                "ordered": ordered,
                "received": received,
                "qty_pct": round(pct, 2),
                "value_cents": round(value),
                "po_no": receiver.po_no,
            },
            evidence={"receiver": receiver, "receiver_lines": lines},
            dedupe_key=f"{receiver.id}|{receiver.version_key}",
        )
    ]


@rule(
    id="Q-IS-02",
    family=Family.INVENTORY,
    title="Cash-paid receiver (review queue, not fraud)",
    requires=("receiver.cash_paid",),
    optional=("receiver.cash_paid_cents",),
    triggers=("receiver",),
    parameters=(
        Parameter("min_cash_cents", 0, "Smallest cash payment that is queued", 0, 100_000_000, unit="cents"),
        Parameter(
            "classification",
            "review",
            "How the queue item is labelled",
            choices=("review", "ad_hoc_vendor_payment"),
        ),
    ),
    allow_scopes=(Scope.VENDOR, Scope.LOCATION),
    severity=Severity.INFO,
    queue=Queue.REVIEW,
    substrates=CP,
    vertical_note="cash receivers are normal for growers: the garden-center pack labels them ad-hoc "
    "vendor payments",
)
def cash_paid_receiver(ctx: RuleContext) -> Iterable[Finding]:
    """A receiver paid in cash at the door goes to a review-and-confirm queue, never the fraud queue:
    paying specialty growers in cash is normal, but someone should confirm each one."""
    receiver = ctx.facts.receiver
    if receiver is None or not receiver.cash_paid:
        return []
    amount = receiver.cash_paid_cents or receiver.total_cost_cents or 0
    if amount < ctx.whole("min_cash_cents"):
        return []
    return [
        Finding(
            summary=f"receiver {receiver.receiver_no} paid {money(amount)} in cash "
            f"to vendor {receiver.vendor_no}",
            subject=Subject(location_id=receiver.location, vendor_id=receiver.vendor_no),
            occurred_at=ctx.facts.occurred_at,
            entity_id=receiver.id,
            measurements={"cash_cents": amount, "classification": ctx.text("classification")},
            evidence={"receiver": receiver, "receiver_lines": ctx.facts.receiver_lines},
            dedupe_key=receiver.id,
        )
    ]


# Q-IS-03's history: each transfer until both its sides have arrived (90 days): each side's
# [quantity, cost, ts]; then each route's last 100 closed transfers in event time, a transfer closed
# at the later of its two sides' times: [closed ts, transfer, sent, received, sent cost].
ROUTE_KEPT = 100
TRANSFERS: Window[dict[str, Any]] = Window(
    "transfers", key="from>to#transfer: the sides seen so far", retention=90 * DAY, shards=4
)
ROUTES: Window[list[list[Any]]] = Window("routes", key="from>to: its closed transfers", shards=1)


def _side(facts: Facts) -> list[Any]:
    header = facts.transfer
    assert header is not None
    quantity = (
        sum(line.quantity for line in facts.transfer_lines)
        if facts.transfer_lines
        else (header.total_quantity or 0.0)
    )
    cost = sum(line.extended_cost_cents or 0 for line in facts.transfer_lines)
    return [quantity, cost, facts.ts]


def _closed_row(held: dict[str, Any], transfer_no: str, facts: Facts) -> list[Any]:
    sent, recv = held["sent"], held["recv"]
    closed = max(float(sent[2]) if len(sent) > 2 else facts.ts, float(recv[2]) if len(recv) > 2 else facts.ts)
    return [closed, transfer_no, sent[0], recv[0], sent[1]]


def with_closed(rows: list[list[Any]], row: list[Any]) -> list[list[Any]]:
    """A route's closed transfers with ``row``, in event time (the latest ``ROUTE_KEPT``)."""
    kept = [r for r in rows if r[1] != row[1]]
    return sorted([*kept, row], key=lambda r: (float(r[0]), str(r[1])))[-ROUTE_KEPT:]


@TRANSFERS.folds
def _fold_transfers(state: RuleState, facts: Facts) -> None:
    header = facts.transfer
    if header is None:
        return
    key = f"{header.from_location}>{header.to_location}#{header.transfer_no}"
    held = dict(TRANSFERS.get(state, key) or {"sent": None, "recv": None})
    side = "sent" if header.direction == "SENT" else "recv"
    held[side] = _side(facts)
    held["ts"] = facts.ts
    if held["sent"] is not None and held["recv"] is not None:
        route = f"{header.from_location}>{header.to_location}"
        rows = list(ROUTES.get(state, route) or [])
        ROUTES.put(state, route, with_closed(rows, _closed_row(held, header.transfer_no, facts)))
        TRANSFERS.pop(state, key)
    else:
        TRANSFERS.put(state, key, held)


def transfer_closing(state: RuleState, facts: Facts) -> tuple[str, list[Any]] | None:
    """(route, its closed-transfer row) when this event brings a transfer's second side."""
    header = facts.transfer
    if header is None:
        return None
    key = f"{header.from_location}>{header.to_location}#{header.transfer_no}"
    held = TRANSFERS.get(state, key)
    if held is None:
        return None
    other = "recv" if header.direction == "SENT" else "sent"
    if held.get(other) is None:
        return None
    sides = {**held, ("sent" if other == "recv" else "recv"): _side(facts)}
    return f"{header.from_location}>{header.to_location}", _closed_row(sides, header.transfer_no, facts)


@rule(
    id="Q-IS-03",
    family=Family.INVENTORY,
    title="Transfer loss per route",
    requires=("transfer_lines.quantity", "transfer.direction"),
    triggers=("transfer",),
    parameters=(
        Parameter(
            "loss_pct",
            2.0,
            "Route loss (sent minus received over sent) that is reported",
            0.0,
            100.0,
            unit="%",
        ),
        Parameter("min_lost_units", 1.0, "Smallest units lost on the route", 0.0, 1_000_000.0),
        Parameter("route_window", 10, "Closed transfers per route in the trend", 1, 100),
    ),
    allow_scopes=(Scope.LOCATION, Scope.ITEM),
    severity=Severity.LOW,
    substrates=CP,
    vertical_note="hand-keyed counts err both ways and net out over the route's transfers, so the "
    "garden-center pack leaves this tolerance as it is (it widens Q-IS-01's)",
    history=(TRANSFERS, ROUTES),
)
def transfer_route_loss(ctx: RuleContext) -> Iterable[Finding]:
    """Each closed transfer (both sides arrived) closes the route's last N closed transfers in event
    time; the route is reported when their loss crosses the threshold, once per crossing (it re-arms
    after the route drops back below). A transfer closing late re-walks the route's transfers in
    event time: a crossing it moves or removes is withdrawn, and one it makes is reported."""
    closing = transfer_closing(ctx.state, ctx.facts)
    if closing is None:
        return []
    route, row = closing
    rows = with_closed(list(ROUTES.get(ctx.state, route) or []), row)
    window = ctx.whole("route_window")
    crossings: dict[str, dict[str, Any]] = {}
    above_before = False
    for n in range(len(rows)):
        part = rows[max(0, n - window + 1) : n + 1]
        total_sent = sum(float(r[2]) for r in part)
        lost = total_sent - sum(float(r[3]) for r in part)
        pct = lost * 100.0 / total_sent if total_sent else 0.0
        above = pct >= ctx.num("loss_pct") and lost >= ctx.num("min_lost_units")
        if above and not above_before:
            crossings[f"{route}|{rows[n][1]}"] = {
                "at": float(rows[n][0]),
                "transfer": str(rows[n][1]),
                "transfers": len(part),
                "sent": total_sent,
                "lost": lost,
                "loss_pct": round(pct, 2),
                "history": [{"sent": r[2], "received": r[3]} for r in part],
            }
        above_before = above
    held = ctx.memory.get(route) or {}
    reported: dict[str, list[Any]] = dict(held.get("reported", {}))  # episode: [signature, revision]
    out = []
    for episode in sorted(set(reported) - set(crossings)):
        out.append(
            Finding.withdrawal(episode, "a transfer closed earlier moves the crossing", ctx.facts.occurred_at)
        )
        del reported[episode]
    origin, _, destination = route.partition(">")
    for episode, crossing in sorted(crossings.items()):
        signature = [crossing["transfer"], crossing["transfers"], crossing["sent"], crossing["lost"]]
        before = reported.get(episode)
        if before is not None and before[0] == signature:
            continue
        revision = 1 if before is None else int(before[1]) + 1
        reported[episode] = [signature, revision]
        out.append(
            Finding(
                summary=f"route {origin} → {destination} lost {crossing['lost']:g} of "
                f"{crossing['sent']:g} units ({crossing['loss_pct']:.1f} %)",
                subject=Subject(location_id=origin),
                occurred_at=datetime.fromtimestamp(crossing["at"], UTC),
                entity_id=route,
                measurements={
                    "route": route,
                    "transfers": crossing["transfers"],
                    "sent": crossing["sent"],
                    "lost": crossing["lost"],
                    "loss_pct": crossing["loss_pct"],
                    "closing_transfer": crossing["transfer"],
                },
                evidence={
                    "transfer": ctx.facts.transfer,
                    "transfer_lines": ctx.facts.transfer_lines,
                    "route_history": crossing["history"],
                },
                episode=episode,
                extent=revision,
            )
        )
    ctx.memory.put(route, {"ts": max(ctx.facts.ts, float(held.get("ts", 0.0))), "reported": reported})
    return out


def _shift_week(week: str, years: int, delta: int) -> str:
    year, number = int(week[:4]), int(week[6:])
    day = date.fromisocalendar(year - years, min(number, 52), 1)
    return week_of(date.fromordinal(day.toordinal() + 7 * delta).isoformat())


def _monday(week: str) -> float:
    day = date.fromisocalendar(int(week[:4]), int(week[6:]), 1)
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


@rule(
    id="Q-IS-04",
    family=Family.INVENTORY,
    title="Dead-count write-offs against the seasonal baseline",
    requires=(
        "inventory_adjustments.quantity",
        "inventory_adjustments.write_off|inventory_adjustments.reason_code",
    ),
    optional=("inventory_adjustments.extended_cost_cents", "inventory_adjustments.unit_cost_cents"),
    # A sale line that names the category of an item with write-offs moves them to that category.
    triggers=("inventory_adjustments", "line_items"),
    parameters=(
        Parameter(
            "write_off_reason_codes",
            (),
            "Reason codes that mean dead count or write-off, besides the "
            "adapter's write_off flag (ASSUMPTION-Q-05)",
        ),
        Parameter("spike_factor", 2.0, "How many times the baseline week counts as a spike", 1.0, 20.0),
        Parameter(
            "min_cost_cents", 5_000, "Smallest weekly write-off worth reporting", 0, 100_000_000, unit="cents"
        ),
        Parameter(
            "baseline",
            "trailing",
            "trailing: the previous weeks; seasonal: the same weeks last year",
            choices=("trailing", "seasonal"),
        ),
        Parameter("trailing_weeks", 8, "Weeks averaged for the trailing baseline", 2, 52),
    ),
    allow_scopes=(Scope.LOCATION, Scope.CATEGORY, Scope.ITEM),
    severity=Severity.INFO,
    queue=Queue.TREND,
    substrates=CP,
    vertical_note="live-goods shrink is seasonal: the garden-center pack compares with the same weeks "
    "last year",
    history=(ITEMS,),
)
def write_off_spike(ctx: RuleContext) -> Iterable[Finding]:
    """Write-offs (stock removed by a dead-count or write-off adjustment) are totalled at cost per
    location, category and ISO week; a week is reported once when it reaches the spike factor times
    its baseline (the trailing weeks' mean, or the highest of the same weeks in earlier years) and
    the minimum cost, and updated as its write-offs (or its baseline) grow. Each adjustment counts
    once, whatever order they arrive in: a late one re-judges its own week and the later weeks whose
    baseline it falls into, one that reaches further back re-judges the weeks its history opens, and
    a sale that names the category of an item already written off moves those write-offs to it. A
    week reported on part of its history that the rest shows is no spike is withdrawn."""
    held = ctx.memory.get(SINCE)
    if held is None and not ctx.facts.inventory_adjustments:
        return []  # nothing written off yet: a sale has nothing to move
    codes = set(ctx.texts("write_off_reason_codes"))
    mode, trailing = ctx.text("baseline"), ctx.whole("trailing_weeks")
    judge: set[tuple[str, str, str]] = set()
    moved_out: set[tuple[str, str, str]] = set()  # judged weeks an item's write-offs left: they shrink
    first = None if held is None else float(held["first"])
    for adj in ctx.facts.inventory_adjustments:
        if adj.quantity >= 0 or not (adj.write_off or (adj.reason_code or "") in codes):
            continue
        at = adj.occurred_at or ctx.facts.occurred_at
        now = at.timestamp()
        before = first
        first = now if first is None else min(first, now)  # a backfill can reach further back
        known = ctx.memory.get(SINCE)
        ctx.memory.put(SINCE, {"ts": max(ctx.facts.ts, known["ts"] if known else 0.0), "first": first})
        cost = abs(adj.extended_cost_cents or 0) or round(abs(adj.quantity) * (adj.unit_cost_cents or 0))
        week = week_of(at.astimezone(UTC).date().isoformat())
        if before is not None and first < before:
            judge |= _opened(ctx, before, first)  # the history reaches back: weeks it opens, anywhere
        if not _record(ctx, adj.location, adj.item_id, week, adj.id, cost, now):
            continue  # a redelivery changes nothing
        category = _category(ctx, adj.item_id)
        recorded = _recorded_weeks(ctx, adj.location, category)
        later = [v for v in recorded if v > week and week in _baseline_weeks(v, mode, trailing, first)]
        judge.update((adj.location, category, w) for w in [week, *later])
    if first is None:
        return []
    for item, old in _moved(ctx).items():
        new = _category(ctx, item)
        for location in _locations(ctx):
            weeks = list(_item_weeks(ctx, location, item))
            if not weeks:
                continue
            for category in (old, new):
                recorded = _recorded_weeks(ctx, location, category)
                touched = set(weeks) | {
                    v for v in recorded if any(w in _baseline_weeks(v, mode, trailing, first) for w in weeks)
                }
                found = {(location, category, w) for w in touched}
                judge |= found
                if category == old:
                    moved_out |= found
    out = []
    for location, category, week in sorted(judge):
        if (location, category, week) in moved_out:
            # Smaller than it was: the detection as it stood no longer holds; judged again below.
            out.append(Finding.withdrawal(f"{location}|{category}|{week}", MOVED, ctx.facts.occurred_at))
        out.append(_judge(ctx, location, category, week, first))
    return out


MOVED = "an item's write-offs moved to the category a later-arriving sale names"


def _judge(ctx: RuleContext, location: str, category: str, week: str, first: float) -> Finding:
    """The week's finding, or its withdrawal when it is no spike on the write-offs known now."""
    mode, trailing = ctx.text("baseline"), ctx.whole("trailing_weeks")
    bucket = f"{location}|{category}"
    episode = f"{bucket}|{week}"
    no_spike = Finding.withdrawal(
        episode,
        f"{week} at {location} / {category} is no spike on the write-offs known now",
        ctx.facts.occurred_at,
    )
    items = _week_items(ctx, location, category, week)
    if not items:
        return no_spike
    latest = max(ts for _cost, ts in items.values())
    if latest - first < trailing * WEEK:
        return no_spike  # not enough history for a baseline yet: a first write-off is not a spike
    wanted = _baseline_weeks(week, mode, trailing, first)
    # Everything the judgement can read: the week, its trailing weeks and, seasonally, the same
    # weeks of earlier years (and how many of those the history covers). Each only grows as
    # write-offs arrive, so a judgement on more of the history has the larger extent.
    candidates = {week, *_trailing_weeks(week, trailing)}
    watched = 0
    if mode == "seasonal":
        candidates |= {_shift_week(week, years, d) for years in (1, 2) for d in (-1, 0, 1)}
        watched = sum(len(same) for same in _seasonal_weeks(week, first))
    totals = _category_weeks(ctx, location, category, sorted(candidates))
    weeks = {w: totals[w] for w in [week, *wanted]}
    baseline, basis = self_baseline(totals, week, mode, trailing, first)
    current = weeks[week]
    if current < ctx.whole("min_cost_cents") or current < ctx.num("spike_factor") * baseline:
        return no_spike
    at = datetime.fromtimestamp(latest, UTC)
    return Finding(
        summary=f"write-offs of {money(current)} at {location} / {category} in {week} "
        f"(baseline {money(baseline)})",
        subject=Subject(
            location_id=location,
            categories=(category,),
            items=tuple(sorted(items)),
            local_time=at.isoformat(),
        ),
        occurred_at=at,
        entity_id=episode,
        measurements={
            "week": week,
            "week_cost_cents": current,
            "baseline_cents": round(baseline),
            "basis": basis,
        },
        evidence={"weeks": weeks, "items": {item: cost for item, (cost, _ts) in sorted(items.items())}},
        episode=episode,
        extent=sum(totals.values()) + watched,
    )


def _opened(ctx: RuleContext, before: float, first: float) -> set[tuple[str, str, str]]:
    """The recorded weeks, at every location and category, whose judgement the history reaching back
    from ``before`` to ``first`` can change: those that lacked the trailing weeks of history, and
    (seasonally) those whose same weeks of earlier years it now covers."""
    mode, trailing = ctx.text("baseline"), ctx.whole("trailing_weeks")
    spans = [(first - WEEK, before + (trailing + 1) * WEEK)]
    if mode == "seasonal":
        spans.append((first + 49 * WEEK, before + 107 * WEEK))
    out = set()
    for location in _locations(ctx):
        for item in _location_items(ctx, location):
            category = _category(ctx, item)
            for week in _item_weeks(ctx, location, item):
                monday = _monday(week)
                if any(lo <= monday <= hi for lo, hi in spans):
                    out.add((location, category, week))
    return out


# Write-offs are remembered per location and item (each adjustment by id, with its cost and time),
# and added up per category only when a week is judged, with each item's category as it is known
# *then*. Items learn their category from sale lines (the adjustment rows carry none), so a write-off
# of an item that has not sold yet (last year's dead counts, loaded before the sales; a new flat that
# died before any sold) would otherwise sit in an "uncategorized" bucket for good, and the category's
# baseline would be missing exactly the history it is meant to hold.


def _item_weeks(ctx: RuleContext, location: str, item: str) -> dict[str, dict[str, list[Any]]]:
    held = ctx.memory.get(f"{location}|item|{item}")
    weeks = held["weeks"] if held else {}
    # State written before adjustments were kept by id holds one total per week: one lump.
    return {w: dict(v) if isinstance(v, dict) else {"": [int(v), 0.0]} for w, v in weeks.items()}


def _record(
    ctx: RuleContext, location: str, item: str, week: str, adjustment: str, cost: int, at: float
) -> bool:
    """Remember one adjustment; False when it was already remembered as it is."""
    weeks = _item_weeks(ctx, location, item)
    held = weeks.setdefault(week, {})
    if held.get(adjustment) == [cost, at]:
        return False
    held[adjustment] = [cost, at]
    weeks = {w: weeks[w] for w in sorted(weeks)[-WEEKS_KEPT:]}
    ctx.memory.put(f"{location}|item|{item}", {"ts": ctx.facts.ts, "weeks": weeks})
    index = f"{location}|items"
    items = _location_items(ctx, location)
    if item not in items:
        items = sorted([*items, item])
    ctx.memory.put(index, {"ts": ctx.facts.ts, "items": items})
    locations = _locations(ctx)
    ctx.memory.put(LOCATIONS, {"ts": ctx.facts.ts, "locations": sorted({*locations, location})})
    return True


LOCATIONS = "__locations__"  # the locations with write-offs


def _locations(ctx: RuleContext) -> list[str]:
    held = ctx.memory.get(LOCATIONS)
    if held is not None:
        return list(held["locations"])
    # State written before the locations were listed: found once from the per-location indexes.
    keys = (key for key, _v in ctx.state.items(f"r:{ctx.rule_id}"))
    found = sorted(key.removesuffix("|items") for key in keys if key.endswith("|items"))
    if found:
        ctx.memory.put(LOCATIONS, {"ts": ctx.facts.ts, "locations": found})
    return found


def _location_items(ctx: RuleContext, location: str, *, copy: bool = True) -> list[str]:
    """The location's items with write-offs (``copy=False``: the stored list, only to be read)."""
    held = (ctx.memory.get(f"{location}|items") or {"items": []})["items"]
    return list(held) if copy else held  # type: ignore[no-any-return]


def _category(ctx: RuleContext, item: str) -> str:
    """The item's category as it stands after this event (a sale line naming one sets it)."""
    return named_categories(ctx.facts).get(item) or item_category(ctx.state, item) or "uncategorized"


def _moved(ctx: RuleContext) -> dict[str, str]:
    """The items written off somewhere whose category this event's sale lines change: the category
    their write-offs were counted under until now."""
    out = {}
    for item, category in named_categories(ctx.facts).items():
        old = item_category(ctx.state, item) or "uncategorized"
        if old != category and any(item in _location_items(ctx, loc, copy=False) for loc in _locations(ctx)):
            out[item] = old
    return out


def _items_in(ctx: RuleContext, location: str, category: str) -> list[str]:
    return [item for item in _location_items(ctx, location) if _category(ctx, item) == category]


def _recorded_weeks(ctx: RuleContext, location: str, category: str) -> list[str]:
    return sorted(
        {w for item in _items_in(ctx, location, category) for w in _item_weeks(ctx, location, item)}
    )


def _week_items(ctx: RuleContext, location: str, category: str, week: str) -> dict[str, tuple[int, float]]:
    """Per item written off in the week: its cost and the time of its latest adjustment."""
    out = {}
    for item in _items_in(ctx, location, category):
        held = _item_weeks(ctx, location, item).get(week)
        if held:
            out[item] = (sum(int(c) for c, _at in held.values()), max(float(at) for _c, at in held.values()))
    return out


def _category_weeks(ctx: RuleContext, location: str, category: str, wanted: list[str]) -> dict[str, int]:
    totals = dict.fromkeys(wanted, 0)
    for item in _items_in(ctx, location, category):
        for week, held in _item_weeks(ctx, location, item).items():
            if week in totals:
                totals[week] += sum(int(c) for c, _at in held.values())
    return totals


def _seasonal_weeks(week: str, first: float) -> list[list[str]]:
    """Per earlier year (1 and 2 back), the same week ±1, keeping the weeks the history reaches (a
    week that ended before the first write-off was not watched, so it cannot count as zero)."""
    out = []
    for years in (1, 2):
        same = [k for delta in (-1, 0, 1) if _monday(k := _shift_week(week, years, delta)) + WEEK > first]
        if same:
            out.append(same)
    return out


def _trailing_weeks(week: str, trailing: int) -> list[str]:
    start = date.fromisocalendar(int(week[:4]), int(week[6:]), 1)
    return [week_of(date.fromordinal(start.toordinal() - 7 * i).isoformat()) for i in range(1, trailing + 1)]


def _baseline_weeks(week: str, mode: str, trailing: int, first: float) -> list[str]:
    seasonal = [w for same in _seasonal_weeks(week, first) for w in same] if mode == "seasonal" else []
    return seasonal or _trailing_weeks(week, trailing)


def self_baseline(
    weeks: dict[str, int], week: str, mode: str, trailing: int, first: float
) -> tuple[float, str]:
    """The baseline week for ``week``: seasonal uses the highest of the same week ±1 in the earlier
    years the history covers (a week with no write-off then counts as zero, as it was watched),
    otherwise the mean of the trailing weeks (weeks with no write-off count as zero)."""
    if mode == "seasonal":
        # The highest, not the mean: the first warm week (and the die-off it brings) moves a week or
        # so with the weather, and which plants die (a few hanging baskets or many six-packs) swings a
        # week's cost. Averaging last year's peak with its quieter neighbours would report a normal
        # peak as a spike; a week twice anything seen around this time last year is one.
        same = [weeks.get(k, 0) for years in _seasonal_weeks(week, first) for k in years]
        if same:
            return float(max(same)), "seasonal"
    return statistics.fmean(weeks.get(k, 0) for k in _trailing_weeks(week, trailing)), "trailing"


RULES = (receiver_po_discrepancy, cash_paid_receiver, transfer_route_loss, write_off_spike)
