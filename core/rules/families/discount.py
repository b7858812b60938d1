"""Discount and markdown (Q.2.1): price overrides past the store's ceiling, markdown-then-buy, and
sales below cost."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import fields
from datetime import datetime
from typing import Any

from core.domain.sales import LineItem
from core.domain.store_config import StoreConfig
from core.rules.context import RuleContext
from core.rules.facts import Facts
from core.rules.families import discount_kept as kept_sales
from core.rules.model import Family, Finding, Parameter, Scope, Severity, Subject, Substrate, rule
from core.rules.state import RuleState, Window
from core.rules.windows import DAY, SALE_TYPES, trimmed
from core.text import money

HOUR = 3600.0
# Trade accounts buy at tier price levels that a retail MAX_DISC_PCT was never meant to cap (seed
# Q.2.1: "wholesale tier customers may legitimately exceed store MAX_DISC_PCT — allow-list per
# CATEG_COD"). Their lines get a trade ceiling instead of no ceiling: half off list is past any trade
# price level, so an override that deep is still reported whoever the customer is.
TRADE_TIERS = ("WHOLESALE", "LANDSCAPER", "CONTRACTOR")


def line_discount(line: LineItem) -> tuple[int, int]:
    """(discount, base) in cents for a line: from the regular price where the substrate has one
    (Counterpoint REG_PRC/PRC_1), else from the line's own discounts (Square applied discounts)."""
    quantity = abs(line.quantity) or 1.0
    charged = abs(line.extended_price_cents)
    if line.regular_price_cents is not None and line.regular_price_cents > 0:
        base = round(line.regular_price_cents * quantity)
        return max(base - charged, line.discount_cents, 0), base
    base = round(line.unit_price_cents * quantity) or charged + line.discount_cents
    return max(line.discount_cents, 0), base


def _sale_lines(ctx: RuleContext) -> list[LineItem]:
    txn = ctx.facts.transaction
    if txn is None or txn.type not in SALE_TYPES:
        return []
    return [line for line in ctx.facts.line_items if line.line_type == "SALE"]


@rule(
    id="Q-DM-01",
    family=Family.DISCOUNT,
    title="Price override beyond the store's discount ceiling",
    requires=("line_items.unit_price_cents", "line_items.regular_price_cents|line_items.discount_cents"),
    optional=(
        "store_config.max_discount_pct",
        "store_config.max_discount_cents",
        "line_items.price_overridden",
        "customer.tier",
    ),
    triggers=("transaction", "store_config", "customer"),
    parameters=(
        Parameter(
            "fallback_max_discount_pct",
            50.0,
            "Ceiling in percent where the store sets none (Square has "
            "no such setting; Counterpoint sends MAX_DISC_PCT)",
            1.0,
            100.0,
            unit="%",
        ),
        Parameter(
            "fallback_max_discount_cents",
            20_000,
            "Ceiling in money per line where the store sets none",
            100,
            10_000_000,
            unit="cents",
        ),
        Parameter("use_store_limits", True, "Use the store's MAX_DISC_PCT / MAX_DISC_AMT when it has them"),
        Parameter(
            "require_override_flag",
            False,
            "Only lines the POS marked as a price override "
            "(HAS_PRC_OVRD); off for substrates without the flag",
        ),
        Parameter(
            "trade_tiers",
            TRADE_TIERS,
            "Customer tiers (CATEG_COD) allowed past the store's percent ceiling, up to the trade "
            "ceiling (seed Q.2.1; ASSUMPTION-Q-10: codes vary per merchant)",
        ),
        Parameter(
            "trade_max_discount_pct",
            50.0,
            "Percent ceiling for a trade-tier customer's lines (never below the store's own)",
            1.0,
            100.0,
            unit="%",
        ),
    ),
    allow_scopes=(
        Scope.CUSTOMER_TIER,
        Scope.CUSTOMER,
        Scope.EMPLOYEE,
        Scope.ITEM,
        Scope.CATEGORY,
        Scope.LOCATION,
    ),
    severity=Severity.MEDIUM,
    vertical_note="wholesale tiers may exceed MAX_DISC_PCT: trade tiers get the trade ceiling instead "
    "(trade_tiers); an exception for one account is an allow-list entry (scope customer_tier or customer)",
)
def price_override_beyond_ceiling(ctx: RuleContext) -> Iterable[Finding]:
    """A sale line discounted from its regular price by more than the store allows: more than
    MAX_DISC_PCT percent or more than MAX_DISC_AMT in money (a store value of 0 or none means the
    fallback parameters apply). A customer in a trade tier may exceed MAX_DISC_PCT up to the trade
    ceiling; the money ceiling still applies. One finding per ticket lists every offending line.
    The ceilings are the store's as known and the tier the customer's in force at the sale, whatever
    order they arrive in: a store configuration or customer record arriving within 7 days (event
    time) of a discounted sale re-judges it, reporting, updating or withdrawing it."""
    facts = ctx.facts
    out: list[Finding] = []
    config = facts.store_config
    if config is not None:
        held = ctx.memory.get(f"location|{config.location_id}")
        for row in [] if held is None else held["sales"]:
            out += _rejudge(ctx, row, store=config)
    record = facts.customer
    if record is not None:
        index = ctx.memory.get(f"customer|{record.id}") or {"locations": []}
        for location in index["locations"]:
            held = ctx.memory.get(f"location|{location}")
            for row in [] if held is None else held["sales"]:
                if row["customer"] == record.id:
                    out += _rejudge(ctx, row, tier=record.tier, tier_ts=facts.ts)
    require_flag = ctx.flag("require_override_flag")
    discounted = [
        (line, *line_discount(line)) for line in _sale_lines(ctx) if line.price_overridden or not require_flag
    ]
    discounted = [(line, discount, base) for line, discount, base in discounted if discount > 0 and base > 0]
    txn = facts.transaction
    if not discounted or txn is None:
        return out
    key = f"location|{txn.location_id}"
    held = ctx.memory.get(key) or {"ts": facts.ts, "sales": []}
    sales = held["sales"]
    before = kept_sales.index_of(ctx.state, key, sales).get(txn.id)
    if before is not None and before["version"] >= txn.version_key:
        return out  # a redelivery (or an older version) changes nothing
    newest = kept_sales.newest(sales, facts.ts)
    subject = ctx.subject([line for line, _d, _b in discounted])
    row: dict[str, Any] = {
        "ts": facts.ts,
        "id": txn.id,
        "version": txn.version_key,
        "at": txn.occurred_at.isoformat(),
        "location": txn.location_id,
        "customer": txn.customer_id,
        "currency": txn.currency,
        "lines": [
            [line.line_no, line.item_id, discount, base, line.price_overridden, line.category_id]
            for line, discount, base in discounted
        ],
        "subject": _row_subject(subject),
        "verdict": None,
        "revision": 0,
    }
    if before is not None:
        row.update(verdict=before["verdict"], revision=before["revision"])
    # The kept sales are stored in (ts, id) order, one per id: the sale goes in at its place.
    kept = kept_sales.replaced(ctx.state, key, sales, before, row, newest - CEILING_LATENESS, SALES_KEPT)
    ctx.memory.put(key, {"ts": newest, "sales": kept})
    if txn.customer_id:
        index_key = f"customer|{txn.customer_id}"
        index = ctx.memory.get(index_key) or {"locations": []}
        if txn.location_id not in index["locations"]:
            locations = sorted([*index["locations"], txn.location_id])
            ctx.memory.put(index_key, {"ts": facts.ts, "locations": locations})
    return [*out, *_rejudge(ctx, row, fresh=True)]


def _row_subject(subject: Subject) -> dict[str, Any]:
    """The subject as a sale row keeps it: ``dataclasses.asdict`` with tuples as lists, read field by
    field (its fields are flat, and ``asdict``'s deep copy of each was a tenth of the rule's time)."""
    out: dict[str, Any] = {}
    for name in SUBJECT_FIELDS:
        value = getattr(subject, name)
        out[name] = list(value) if isinstance(value, tuple) else value
    return out


SUBJECT_FIELDS = tuple(f.name for f in fields(Subject))
CEILING_LATENESS = 7 * DAY  # how late a store configuration or customer record may re-judge a sale
SALES_KEPT = 500  # per location, the latest discounted sales


def _tier_at(ctx: RuleContext, customer_id: str | None, ts: float) -> str | None:
    """The customer's tier in force at ``ts`` (the latest record at or before it, else the earliest)."""
    if not customer_id:
        return None
    held = ctx.customer(customer_id) or {}
    tiers = [t for t in held.get("tiers", []) if t[1] is not None]
    record = ctx.facts.customer
    if record is not None and record.id == customer_id:
        tiers = sorted([*tiers, [ctx.facts.ts, record.tier]], key=lambda t: (t[0], str(t[1])))
    if not tiers:
        return held.get("tier")
    before = [t for t in tiers if t[0] <= ts]
    return str((before[-1] if before else tiers[0])[1])


def _rejudge(
    ctx: RuleContext,
    row: dict[str, Any],
    *,
    store: StoreConfig | None = None,
    tier: str | None = None,
    tier_ts: float | None = None,
    fresh: bool = False,
) -> list[Finding]:
    """The sale's finding when its verdict changed (or its withdrawal), its row updated in memory."""
    if store is None and ctx.flag("use_store_limits"):
        store = ctx.store(row["location"])
    if not ctx.flag("use_store_limits"):
        store = None
    max_pct = (store.max_discount_pct if store and store.max_discount_pct else None) or ctx.num(
        "fallback_max_discount_pct"
    )
    max_cents = (store.max_discount_cents if store and store.max_discount_cents else None) or ctx.whole(
        "fallback_max_discount_cents"
    )
    tier_now = _tier_at(ctx, row["customer"], float(row["ts"]))
    if tier is not None and tier_ts is not None and tier_now is None:
        tier_now = tier
    trade = tier_now is not None and tier_now.upper() in {t.upper() for t in ctx.texts("trade_tiers")}
    if trade:
        max_pct = max(max_pct, ctx.num("trade_max_discount_pct"))
    worst = 0.0
    details = []
    for line_no, item_id, discount, base, overridden, _category in row["lines"]:
        pct = discount * 100.0 / base
        if pct > max_pct or discount > max_cents:
            worst = max(worst, pct / max_pct, discount / max_cents)
            details.append(
                {
                    "line_no": line_no,
                    "item_id": item_id,
                    "discount_cents": discount,
                    "discount_pct": round(pct, 2),
                    "overridden": overridden,
                }
            )
    severity = Severity.HIGH if worst >= 2 else None
    verdict = None if not details else [str(severity), max_pct, max_cents, [d["line_no"] for d in details]]
    if verdict == row["verdict"] and not fresh:
        return []
    episode = f"ceiling|{row['id']}"
    changed = verdict != row["verdict"]
    row["verdict"] = verdict
    if changed:
        row["revision"] += 1
    _store_row(ctx, row)
    if not details:
        return [Finding.withdrawal(episode, "within the ceilings known now", ctx.facts.occurred_at)]
    offending = {d["item_id"] for d in details if d["item_id"]}
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in row["subject"].items()}
    values["items"] = tuple(sorted(offending))
    values["categories"] = tuple(sorted({c for _n, i, _d, _b, _o, c in row["lines"] if i in offending and c}))
    values["customer_tier"] = tier_now
    txn = ctx.facts.transaction
    this = txn is not None and txn.id == row["id"]
    return [
        Finding(
            summary=f"{len(details)} line(s) discounted past the {'trade' if trade else 'store'} ceiling "
            f"({max_pct:g} % / {money(max_cents, row['currency'])})",
            subject=Subject(**values),
            occurred_at=datetime.fromisoformat(row["at"]),
            entity_id=row["id"],
            severity=severity,
            measurements={
                "lines": details,
                "max_discount_pct": max_pct,
                "max_discount_cents": max_cents,
                "limits_from": "store_config" if store and store.max_discount_pct else "parameters",
                "trade_tier": tier_now if trade else None,
            },
            evidence={
                **(
                    {
                        "transaction": txn,
                        "line_items": [
                            li for li in ctx.facts.line_items if li.line_no in {d["line_no"] for d in details}
                        ],
                    }
                    if this
                    else {"transaction_id": row["id"]}
                ),
                "store_config": store,
            },
            episode=episode,
            extent=int(row["revision"]),
        )
    ]


def _store_row(ctx: RuleContext, row: dict[str, Any]) -> None:
    key = f"location|{row['location']}"
    held = ctx.memory.get(key)
    if held is None:
        return
    sales = held["sales"]
    if not kept_sales.holds(ctx.state, key, sales, row):
        sales = [row if r["id"] == row["id"] else r for r in sales]
    ctx.memory.put(key, {**held, "sales": sales})  # the row was updated in place: rewrite the slice


# Q-DM-02's history: each item's price changes, 7 days behind the newest:
# [ts, employee, old price, new price]. They come as price-change facts, or are derived from the
# item master (Counterpoint IM_ITEM): each item's last prices by time [ts, price, user], and a record
# whose price differs from the one before it in time is a change by the record's user.
PRICE_CHANGES: Window[list[list[Any]]] = Window(
    "price_changes", key="item: its price changes", retention=7 * DAY, shards=8
)
ITEM_PRICES: Window[list[list[Any]]] = Window(
    "item_prices", key="item: its item-master prices (the last 10 by time)", shards=8
)
PRICES_KEPT = 10


def price_changes_of(state: RuleState, facts: Facts) -> list[tuple[str, float, str | None, int, int]]:
    """The price changes this event brings: its price-change facts, and its item-master records'
    prices that differ from the record before them in time (item, ts, employee, old, new)."""
    changes = [
        (
            change.item_id,
            change.occurred_at.timestamp(),
            change.employee_id,
            change.old_price_cents,
            change.new_price_cents,
        )
        for change in facts.price_changes
    ]
    for master in facts.catalog_items:
        if master.price_cents is None:
            continue
        row = [facts.ts, master.price_cents, master.maintained_by]
        prices = ITEM_PRICES.get(state, master.id) or []
        if row in prices:
            continue  # a redelivery
        prices = sorted([*prices, row], key=lambda r: (r[0], r[1]))
        at = prices.index(row)
        if at > 0 and prices[at - 1][1] != master.price_cents:
            changes.append((master.id, facts.ts, master.maintained_by, prices[at - 1][1], master.price_cents))
        if at + 1 < len(prices) and prices[at + 1][1] != master.price_cents:
            # An earlier record arriving after a later one: the later one changed this record's price.
            later = prices[at + 1]
            changes.append((master.id, float(later[0]), later[2], master.price_cents, later[1]))
    return changes


@PRICE_CHANGES.folds
def _fold_price_changes(state: RuleState, facts: Facts) -> None:
    changes = price_changes_of(state, facts)
    for master in facts.catalog_items:
        if master.price_cents is None:
            continue
        row = [facts.ts, master.price_cents, master.maintained_by]
        prices = ITEM_PRICES.get(state, master.id) or []
        if row not in prices:
            prices = sorted([*prices, row], key=lambda r: (r[0], r[1]))
            ITEM_PRICES.put(state, master.id, prices[-PRICES_KEPT:])
    for item, ts, employee, old, new in changes:
        rows = trimmed(PRICE_CHANGES.get(state, item) or [], facts.ts, 7 * DAY)
        if [ts, employee, old, new] not in rows:
            rows.append([ts, employee, old, new])
        PRICE_CHANGES.put(state, item, rows)


# Q-DM-02's sales: each item's Counterpoint sale lines of the last 7 days (the latest 50), so a
# markdown arriving after the purchase is matched to it: [ts, employee, unit price, transaction,
# line, occurred at, location, station].
ITEM_SALES: Window[list[list[Any]]] = Window(
    "item_sales", key="item: its recent sale lines", retention=7 * DAY, shards=16
)
ITEM_SALES_KEPT = 50


@ITEM_SALES.folds
def _fold_item_sales(state: RuleState, facts: Facts) -> None:
    txn = facts.transaction
    if (
        txn is None
        or not txn.employee_id
        or facts.source not in MARKDOWN_SOURCES
        or txn.type not in SALE_TYPES
    ):
        return
    for line in facts.line_items:
        if line.line_type != "SALE" or not line.item_id:
            continue
        rows = ITEM_SALES.get(state, line.item_id) or []
        if any(r[3] == txn.id and r[4] == line.line_no for r in rows):
            continue
        row = [
            facts.ts,
            txn.employee_id,
            line.unit_price_cents,
            txn.id,
            line.line_no,
            txn.occurred_at.isoformat(),
            txn.location_id,
            txn.device_id,
        ]
        # Stored in this order (always written here): the line goes in at its place, after its equals
        # as a stable sort would put it, instead of copying and re-sorting all 50.
        rows = list(rows)
        bisect.insort(rows, row, key=_item_sale_order)
        ITEM_SALES.put(state, line.item_id, rows[-ITEM_SALES_KEPT:])


def _item_sale_order(row: list[Any]) -> tuple[float, str, int]:
    return float(row[0]), str(row[3]), int(row[4] or 0)


MARKDOWN_SOURCES = frozenset({"COUNTERPOINT"})  # the substrates whose item master gives price changes


@rule(
    id="Q-DM-02",
    family=Family.DISCOUNT,
    title="Markdown then buy by the same user within 24 h",
    requires=(
        "price_changes.item_id|catalog_items.price_cents",
        "price_changes.employee_id|catalog_items.maintained_by",
        "price_changes.new_price_cents|catalog_items.price_cents",
        "line_items.item_id",
        "transaction.employee_id",
    ),
    triggers=("transaction", "price_changes", "catalog_items"),
    parameters=(
        Parameter("window_hours", 24, "How long after the markdown a purchase counts", 1, 168, unit="hours"),
        Parameter(
            "min_markdown_pct", 10.0, "Smallest price cut that counts as a markdown", 0.0, 100.0, unit="%"
        ),
    ),
    allow_scopes=(Scope.EMPLOYEE, Scope.ITEM, Scope.CATEGORY, Scope.LOCATION),
    severity=Severity.HIGH,
    substrates=(Substrate.COUNTERPOINT,),
    history=(PRICE_CHANGES, ITEM_PRICES, ITEM_SALES),
)
def markdown_then_buy(ctx: RuleContext) -> Iterable[Finding]:
    """A user lowers an item's price and, within the window, rings a sale of that item at (or under)
    the marked-down price. Joins price-change events to later sale lines on item and user, whatever
    order they arrive in: a markdown arriving after the purchase (within 7 days of it, event time)
    is matched to the purchase when it arrives."""
    facts = ctx.facts
    out: list[Finding] = []
    fresh = price_changes_of(ctx.state, facts) if facts.price_changes or facts.catalog_items else []
    if fresh:
        for item in sorted({c[0] for c in fresh}):
            known = [
                *(PRICE_CHANGES.get(ctx.state, item) or []),
                *([c[1], c[2], c[3], c[4]] for c in fresh if c[0] == item),
            ]
            for row in ITEM_SALES.get(ctx.state, item) or []:
                ts, employee, price, txn_id, _line, at, location, station = row
                hits = _markdowns(ctx, known, employee, float(ts), price)
                if any(h["marked_at"] in {c[1] for c in fresh if c[0] == item} for h in hits):
                    subject = Subject(
                        employee_id=employee, location_id=location, station_id=station, items=(item,)
                    )
                    out.append(_markdown_finding(ctx, txn_id, item, at, employee, hits, subject, None))
    txn = facts.transaction
    if not PRICE_CHANGES.has(ctx.state):
        return out  # no price change seen yet (Counterpoint's item master gives them; Square none so far)
    lines = _sale_lines(ctx)
    if txn is None or not txn.employee_id or not lines:
        return out
    for line in lines:
        if not line.item_id:
            continue
        hits = _markdowns(
            ctx,
            PRICE_CHANGES.get(ctx.state, line.item_id) or [],
            txn.employee_id,
            facts.ts,
            line.unit_price_cents,
        )
        if hits:
            out.append(
                _markdown_finding(
                    ctx,
                    txn.id,
                    line.item_id,
                    txn.occurred_at.isoformat(),
                    txn.employee_id,
                    hits,
                    ctx.subject([line]),
                    line,
                )
            )
    return out


def _markdowns(
    ctx: RuleContext, changes: list[list[Any]], employee: str, ts: float, price: int
) -> list[dict[str, Any]]:
    window = ctx.whole("window_hours") * HOUR
    min_pct = ctx.num("min_markdown_pct")
    hits = []
    for at, by, old, new in sorted(changes, key=lambda c: (float(c[0]), str(c[1]))):
        if by != employee or not old or new >= old or not 0 <= ts - at <= window:
            continue
        if (old - new) * 100.0 / old >= min_pct and price <= new:
            hits.append(
                {"marked_at": at, "old_price_cents": old, "new_price_cents": new, "sold_price_cents": price}
            )
    return hits


def _markdown_finding(
    ctx: RuleContext,
    txn_id: str,
    item: str,
    at: str,
    employee: str,
    hits: list[dict[str, Any]],
    subject: Subject,
    line: LineItem | None,
) -> Finding:
    markdowns = [{"item_id": item, **h} for h in hits]
    txn = ctx.facts.transaction
    this = txn is not None and txn.id == txn_id
    return Finding(
        summary=f"{employee} bought {item} after marking it down",
        subject=subject,
        occurred_at=datetime.fromisoformat(at),
        entity_id=txn_id,
        measurements={"markdowns": markdowns, "window_hours": ctx.whole("window_hours")},
        evidence={
            **(
                {"transaction": txn, "line_items": [line]}
                if this and line is not None
                else {"transaction_id": txn_id}
            ),
            "price_changes": markdowns,
        },
        episode=f"markdown|{txn_id}|{item}",
        extent=len(hits),
    )


@rule(
    id="Q-DM-03",
    family=Family.DISCOUNT,
    title="Below-cost sale",
    requires=("line_items.unit_cost_cents|line_items.extended_cost_cents", "line_items.extended_price_cents"),
    triggers=("transaction",),
    parameters=(
        Parameter("min_loss_cents", 100, "Smallest loss per line that counts", 0, 1_000_000, unit="cents"),
        Parameter("exclude_mix_match_lines", True, "Leave mix-and-match lines to Q-MM-01 (bundle margin)"),
    ),
    allow_scopes=(
        Scope.EMPLOYEE,
        Scope.ITEM,
        Scope.CATEGORY,
        Scope.CUSTOMER,
        Scope.CUSTOMER_TIER,
        Scope.LOCATION,
    ),
    severity=Severity.MEDIUM,
    substrates=(Substrate.COUNTERPOINT,),
)
def below_cost_sale(ctx: RuleContext) -> Iterable[Finding]:
    """A sale line whose extended price is below its extended cost by at least the minimum loss.
    Mix-and-match lines are judged as a bundle by Q-MM-01, not line by line."""
    offending = []
    loss = 0
    for line in _sale_lines(ctx):
        if ctx.flag("exclude_mix_match_lines") and line.mix_match_code:
            continue
        cost = line.extended_cost_cents
        if cost is None and line.unit_cost_cents is not None:
            cost = round(line.unit_cost_cents * abs(line.quantity))
        if cost is None:
            continue
        gap = abs(cost) - abs(line.extended_price_cents)
        if gap >= max(ctx.whole("min_loss_cents"), 1):
            offending.append(line)
            loss += gap
    if not offending:
        return []
    txn = ctx.facts.transaction
    assert txn is not None
    return [
        Finding(
            summary=f"{len(offending)} line(s) sold below cost, {money(loss, txn.currency)} under",
            subject=ctx.subject(offending),
            occurred_at=txn.occurred_at,
            entity_id=txn.id,
            measurements={"loss_cents": loss, "lines": [li.line_no for li in offending]},
            evidence={"transaction": txn, "line_items": offending},
        )
    ]


RULES = (price_override_beyond_ceiling, markdown_then_buy, below_cost_sale)
