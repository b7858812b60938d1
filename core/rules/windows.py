"""The shared windows and baselines, kept in ``RuleState``: what each is, how long it lives, and the
read-only questions rules may ask of it.

Order matters and is fixed by the engine: every rule reads the state as it stood *before* the event
(plus the event itself), then ``apply`` folds the event in. So a window query never sees its own
event twice and never sees a later one, which is what makes a backtest point-in-time.

Kept here (all times epoch seconds):
- ``substrate``: per entity, when last seen and how often; per required field, when last non-null.
- ``stores``, ``categories``, ``mix_match``: reference data as events delivered it.
- ``customers``: tier, tax exemption, tier changes (90 d) and the last 50 tickets.
- ``items``: when an item was first seen and its category (item-code drift, write-off categories);
  ``substrate``/``items_since``: the earliest sale line seen, where that item history begins.
- ``price_changes`` (7 d), ``voids`` per employee and session (24 h), ``cards`` (7 d).
- ``stations``: each station's tender sessions in event time (the last 201 by start), for Q-TM-01.
- ``drawers`` (30 d): drawer sessions seen closed; ``txn`` (7 d): each transaction's last money
  fingerprint, for edits and tender swaps after the fact.
- ``transfers`` (90 d) until both sides arrive, then ``routes`` (last 100 closed transfers per route).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from core.domain.sales import Transaction
from core.domain.store_config import ItemCategory, StoreConfig
from core.rules.facts import Facts
from core.rules.state import RuleState

DAY = 86_400.0
RETENTION: dict[str, float] = {
    "price_changes": 7 * DAY,
    "voids": DAY,
    "cards": 7 * DAY,
    "txn": 7 * DAY,
    "drawers": 30 * DAY,
    "transfers": 90 * DAY,
    "fired": 400 * DAY,
}
RULE_MEMORY_RETENTION = 800 * DAY  # Q-IS-04's seasonal baseline compares with last year
TIER_CHANGE_RETENTION = 90 * DAY
TICKETS_KEPT = 50
BASELINE_KEPT = 200
ROUTE_KEPT = 100

VOID_TYPES = frozenset({"VOID", "POST_VOID"})
SALE_TYPES = frozenset({"SALE", "EXCHANGE"})
CASH = "CASH"
CARD_TYPES = frozenset({"CARD", "DEBIT", "CREDIT", "CREDIT_CARD"})


def retention() -> dict[str, float]:
    return dict(RETENTION)


def memory_retention(rule_ids: Iterable[str]) -> dict[str, float]:
    return {f"r:{rule_id}": RULE_MEMORY_RETENTION for rule_id in rule_ids}


# Keys ----------------------------------------------------------------------------------------------


def mentions(text: str | None, patterns: Iterable[str]) -> bool:
    """Whether audit-log text contains any of the (lower-case) patterns."""
    if not text:
        return False
    lowered = text.lower()
    return any(p in lowered for p in patterns)


def audit_mentions(facts: Facts, patterns: tuple[str, ...]) -> list[int]:
    """Positions of the event's audit-log entries whose text contains a pattern. The lower-cased
    texts are worked out once per event for every rule that asks."""
    texts = facts.scratch.get("audit_texts")
    if texts is None:
        texts = facts.scratch["audit_texts"] = [(e.log_entry or "").lower() for e in facts.audit_log]
    return [n for n, text in enumerate(texts) if text and any(p in text for p in patterns)]


def local_day(txn: Transaction) -> str:
    return (txn.local_occurred_at or txn.occurred_at.isoformat())[:10]


def session_key(txn: Transaction) -> str | None:
    """The drawer session, or the station's business day where the substrate has no sessions
    (Square payments carry a device, not a drawer session)."""
    if txn.drawer_session_id:
        return txn.drawer_session_id
    if txn.device_id:
        return f"{txn.device_id}|{local_day(txn)}"
    return None


def void_items(facts: Facts) -> list[str]:
    """The items a void took back, as Q-VR-03's window keeps them."""
    return sorted({li.item_id for li in facts.line_items if li.item_id})


def is_void(facts: Facts) -> bool:
    txn = facts.transaction
    if txn is not None and txn.type in VOID_TYPES:
        return True
    return facts.document is not None and facts.document.voided


def committed(facts: Facts) -> bool:
    if facts.document is not None and facts.document.committed is not None:
        return facts.document.committed
    txn = facts.transaction
    return txn is not None and (txn.committed_at is not None or txn.status == "COMPLETED")


def tender_split(facts: Facts) -> tuple[int, int, int]:
    """(cash, card, all) tendered, in cents, counting only money towards the sale."""
    held = facts.scratch.get("tenders")
    if held is None:
        held = facts.scratch["tenders"] = _tender_split(facts)
    return held


def _tender_split(facts: Facts) -> tuple[int, int, int]:
    cash = card = total = 0
    for tender in facts.tenders:
        if tender.amount_cents <= 0 or tender.status not in ("COMPLETED", "CAPTURED", "APPROVED"):
            continue
        total += tender.amount_cents
        if tender.tender_type == CASH:
            cash += tender.amount_cents
        elif tender.tender_type in CARD_TYPES:
            card += tender.amount_cents
    return cash, card, total


def tax_signature(facts: Facts) -> str:
    """The set of authorities that actually taxed the document, as ``A|B|C`` (empty: untaxed)."""
    return "|".join(sorted({t.authority for t in facts.taxes if t.tax_cents}))


def line_signature(facts: Facts) -> list[float]:
    """What an edit to the lines changes: their count, extended total and quantity."""
    held = facts.scratch.get("lines")
    if held is not None:
        return held  # type: ignore[no-any-return]
    lines = facts.line_items
    held = facts.scratch["lines"] = [
        len(lines),
        sum(li.extended_price_cents for li in lines),
        round(sum(li.quantity for li in lines), 3),
    ]
    return held


# Reference -----------------------------------------------------------------------------------------


def store_config(state: RuleState, location_id: str | None) -> StoreConfig | None:
    if location_id is None:
        return None
    raw = state.get("stores", location_id)
    if raw is None:
        return None
    key = ("stores", location_id)
    cached = state.cache.get(key)
    if cached is None or cached[0] is not raw:
        cached = (raw, StoreConfig.model_validate(raw))
        state.cache[key] = cached
    return cached[1]


def category(state: RuleState, category_id: str | None) -> ItemCategory | None:
    if category_id is None:
        return None
    raw = state.get("categories", category_id)
    if raw is None:
        return None
    key = ("categories", category_id)
    cached = state.cache.get(key)
    if cached is None or cached[0] is not raw:
        cached = (raw, ItemCategory.model_validate(raw))
        state.cache[key] = cached
    return cached[1]


def customer(state: RuleState, customer_id: str | None) -> dict[str, Any] | None:
    return None if customer_id is None else state.get("customers", customer_id)


def customer_tier(state: RuleState, customer_id: str | None) -> str | None:
    entry = customer(state, customer_id)
    return entry.get("tier") if entry else None


def item_first_seen(state: RuleState, item_id: str | None) -> float | None:
    entry = state.get("items", item_id) if item_id else None
    return float(entry[0]) if entry else None


def items_since(state: RuleState) -> float | None:
    """The earliest sale line this tenant's windows have seen: where its item history begins."""
    held = state.get("substrate", "items_since")
    return None if held is None else float(held)


def first_seen_new(state: RuleState, first_seen: float, now: float, grace: float) -> bool:
    """Whether an item first sold at ``first_seen`` is new to the catalog at ``now``: first seen
    within ``grace`` of now, and at least ``grace`` after the item history began. An item already
    selling when Canary started watching a tenant is established stock whose earlier sales we never
    saw: in a freshly onboarded tenant every item is "first seen" in its first days, and treating
    them all as new would blind the item-code-drift allowances for a whole grace period."""
    since = items_since(state)
    return now - first_seen <= grace and since is not None and first_seen - since >= grace


def item_is_new(state: RuleState, item_id: str | None, now: float, grace: float) -> bool:
    first = item_first_seen(state, item_id)
    return first_seen_new(state, now if first is None else first, now, grace)


def item_category(state: RuleState, item_id: str | None) -> str | None:
    entry = state.get("items", item_id) if item_id else None
    return entry[1] if entry else None


def mix_match_items(state: RuleState, code: str) -> list[str] | None:
    return state.get("mix_match", code)  # type: ignore[no-any-return]


# Sessions (Q-TM-01) --------------------------------------------------------------------------------
#
# Per station, every session the windows hold (the last ``SESSIONS_KEPT`` by start), in event time:
# ``[key, first, last, cash, total, sales, squares, employee, local day, closed by its drawer]``. A
# session is closed when its drawer closes or a later session of the station has started (its first
# sale at or after this one's last). A sale is counted once, by its transaction id: a redelivery adds
# nothing, and a later version replaces the earlier one's money. An event judges the sessions it
# closes; a late sale or session also re-judges the closed sessions it falls into or precedes (their
# baseline is the station's closed sessions before them), so the answer is the event-time one.

STATIONS = "stations"
SESSIONS_KEPT = BASELINE_KEPT + 1
_KEY, _FIRST, _LAST, _CASH, _TOTAL, _SALES, _SQUARES, _EMPLOYEE, _DAY, _CLOSED = range(10)


@dataclass(frozen=True)
class SessionClose:
    station: str
    session: str
    cash_cents: int
    total_cents: int
    transactions: int
    first_ts: float
    last_ts: float
    employee: str | None
    local_day: str
    baseline: tuple[tuple[float, int], ...]  # (cash share, transactions) of earlier sessions
    squares: float = 0.0  # sum of each sale's tendered total squared (0: not recorded)

    @property
    def share(self) -> float:
        return self.cash_cents / self.total_cents if self.total_cents else 0.0

    @property
    def effective_sales(self) -> float:
        """How many equal-sized sales the money-weighted share is worth (Kish: (Σa)² / Σa²). A session
        with one big ticket among small ones is decided by that ticket, whatever its count says."""
        if self.squares <= 0 or self.total_cents <= 0:
            return float(self.transactions)
        return min(float(self.transactions), self.total_cents**2 / self.squares)


def closures(state: RuleState, facts: Facts) -> list[SessionClose]:
    """Sessions this event closes or changes once closed, each with its baseline. Worked out once per
    event (Q-TM-01 asks, then ``apply`` stores the station's sessions)."""
    held = _station_view(state, facts)
    return [] if held is None else held[2]


def _station_rows(state: RuleState, station: str) -> list[list[Any]]:
    held = state.get(STATIONS, station)
    if held is not None:
        return [list(row) for row in held["s"]]
    # State written before sessions were kept in event time: the closed sessions' shares and the
    # open session, as the earliest rows.
    rows: list[list[Any]] = []
    for n, (share, count) in enumerate(state.get("baselines", station) or []):
        rows.append(
            [
                f"~{n}",
                float(n),
                float(n),
                round(float(share) * 10_000),
                10_000,
                int(count),
                0.0,
                None,
                "",
                True,
            ]
        )
    old = state.get("sessions", station)
    if old is not None:
        rows.append(
            [
                old["s"],
                old["first"],
                old["last"],
                old["cash"],
                old["total"],
                old["n"],
                float(old.get("sq", 0.0)),
                old.get("emp"),
                old.get("day", ""),
                False,
            ]
        )
    return rows


def _closed(rows: list[list[Any]]) -> list[bool]:
    out = [False] * len(rows)
    later = float("-inf")  # the latest start among the later sessions that have sales
    for i in range(len(rows) - 1, -1, -1):
        row = rows[i]
        out[i] = bool(row[_CLOSED]) or later >= row[_LAST]
        if row[_SALES] > 0:
            later = max(later, row[_FIRST])
    return out


def _station_view(state: RuleState, facts: Facts) -> tuple[str, list[list[Any]], list[SessionClose]] | None:
    held = facts.scratch.get("stations")
    if held is None:
        held = facts.scratch["stations"] = _work_out_station(state, facts) or ()
    return held or None


def _work_out_station(
    state: RuleState, facts: Facts
) -> tuple[str, list[list[Any]], list[SessionClose]] | None:
    txn, shift = facts.transaction, facts.drawer_shift
    sale = txn is not None and txn.device_id and txn.type in SALE_TYPES and session_key(txn) is not None
    close = shift is not None and shift.device_id and shift.state in ("ENDED", "CLOSED")
    if not sale and not close:
        return None
    station = str(txn.device_id if sale and txn is not None else shift.device_id if shift else "")
    rows = _station_rows(state, station)
    before = dict(zip((r[_KEY] for r in rows), _closed(rows), strict=True))
    changed: str | None = None
    if sale and txn is not None:
        changed = _add_sale(state, facts, txn, rows)
    if close and shift is not None:
        changed = _close_drawer(facts, shift.id, rows) or changed
    if changed is None:
        return None
    rows.sort(key=lambda r: (r[_FIRST], r[_KEY]))
    rows = rows[-SESSIONS_KEPT:]
    now = _closed(rows)
    judge = [
        i
        for i, row in enumerate(rows)
        if now[i] and (not before.get(row[_KEY], False) or row[_KEY] == changed)
    ]
    moved = next((i for i, row in enumerate(rows) if row[_KEY] == changed and now[i]), None)
    if moved is not None:  # a closed session changed: the later sessions' baselines include it
        judge = sorted({*judge, *(i for i in range(moved, len(rows)) if now[i])})
    out = []
    for i in judge:
        row = rows[i]
        base = tuple(
            (round(r[_CASH] / r[_TOTAL], 4), int(r[_SALES]))
            for r, shut in zip(rows[:i], now[:i], strict=True)
            if shut and r[_TOTAL] > 0
        )[-BASELINE_KEPT:]
        out.append(
            SessionClose(
                station=station,
                session=row[_KEY],
                cash_cents=int(row[_CASH]),
                total_cents=int(row[_TOTAL]),
                transactions=int(row[_SALES]),
                first_ts=float(row[_FIRST]),
                last_ts=float(row[_LAST]),
                employee=row[_EMPLOYEE],
                local_day=row[_DAY],
                baseline=base,
                squares=float(row[_SQUARES]),
            )
        )
    return station, rows, out


def _add_sale(state: RuleState, facts: Facts, txn: Transaction, rows: list[list[Any]]) -> str | None:
    key = session_key(txn)
    cash, _card, total = tender_split(facts)
    prior = state.get("txn", txn.id)
    if prior is None:
        delta = (cash, total, 1, float(total) ** 2)
    elif prior[6] >= txn.version_key:
        return None  # a redelivery, or an older version arriving after a newer one
    else:  # a later version of a sale already counted: its money replaces the earlier version's
        before = prior[7] if len(prior) > 7 else prior[4] + prior[5]
        delta = (cash - prior[4], total - before, 0, float(total) ** 2 - float(before) ** 2)
    ts = facts.ts
    row = next((r for r in rows if r[_KEY] == key), None)
    if row is None:
        row = [key, ts, ts, 0, 0, 0, 0.0, txn.employee_id, local_day(txn), False]
        rows.append(row)
    elif row[_SALES] == 0 or ts < row[_FIRST]:  # the session's earliest sale names it
        row[_FIRST] = ts if row[_SALES] == 0 else min(row[_FIRST], ts)
        row[_EMPLOYEE], row[_DAY] = txn.employee_id, local_day(txn)
    if row[_SALES] == 0:
        row[_LAST] = ts
    row[_LAST] = max(row[_LAST], ts)
    row[_CASH] += delta[0]
    row[_TOTAL] += delta[1]
    row[_SALES] += delta[2]
    row[_SQUARES] = max(row[_SQUARES] + delta[3], 0.0)
    return str(key)


def _close_drawer(facts: Facts, shift_id: str, rows: list[list[Any]]) -> str | None:
    """A drawer close ends its session, or, where sessions are a station's business days, the latest
    day session begun by then. A close that arrives before any of its session's sales is kept as an
    empty closed session the sales then join."""
    row = next((r for r in rows if r[_KEY] == shift_id), None)
    if row is None:
        days = [r for r in rows if "|" in str(r[_KEY]) and r[_FIRST] <= facts.ts and r[_SALES] > 0]
        row = max(days, key=lambda r: (r[_FIRST], r[_KEY])) if days else None
    if row is None:
        if any("|" in str(r[_KEY]) for r in rows):
            return None
        row = [shift_id, facts.ts, facts.ts, 0, 0, 0, 0.0, None, "", False]
        rows.append(row)
    if row[_CLOSED]:
        return None
    row[_CLOSED] = True
    return str(row[_KEY])


def _apply_sessions(state: RuleState, facts: Facts) -> None:
    held = _station_view(state, facts)
    if held is None:
        return
    station, rows, _judged = held
    state.put(STATIONS, station, {"ts": max((r[_LAST] for r in rows), default=facts.ts), "s": rows})
    state.pop("baselines", station)
    state.pop("sessions", station)


# Applying an event ---------------------------------------------------------------------------------


def _trimmed(rows: list[Any], now: float, keep: float) -> list[Any]:
    horizon = now - keep
    return [row for row in rows if row[0] >= horizon]


def apply(state: RuleState, facts: Facts, tracked: Mapping[str, tuple[str, ...]]) -> None:
    """Fold one event into every window (after the rules have read them)."""
    _apply_substrate(state, facts, tracked)
    _apply_reference(state, facts)
    _apply_sessions(state, facts)
    txn, ts = facts.transaction, facts.ts
    if txn is not None:
        _apply_transaction(state, facts, txn)
    for change in facts.price_changes:
        rows = state.get("price_changes", change.item_id) or []
        rows = _trimmed(rows, ts, RETENTION["price_changes"])
        rows.append(
            [
                change.occurred_at.timestamp(),
                change.employee_id,
                change.old_price_cents,
                change.new_price_cents,
            ]
        )
        state.put("price_changes", change.item_id, rows)
    shift = facts.drawer_shift
    if shift is not None:
        held = state.get("drawers", shift.id)
        closed_at = shift.closed_at or shift.ended_at
        was_closed = bool(held and held[1] is not None)
        reopened = was_closed and shift.state == "OPEN"
        state.put(
            "drawers",
            shift.id,
            [
                ts,
                closed_at.timestamp() if closed_at else (held[1] if held and not reopened else None),
                shift.state,
                bool(held and held[3]) or reopened or shift.reactivated,
            ],
        )
    _apply_transfers(state, facts)
    for group in facts.mix_match_groups:
        state.put("mix_match", group.code, sorted(group.item_ids))


FIELD_RESOLUTION = 3600.0  # a field's "last seen" is kept to the hour: checking every event buys nothing


@functools.cache
def _field_keys(entity: str, names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"{entity}.{name}" for name in names)


def _apply_substrate(state: RuleState, facts: Facts, tracked: Mapping[str, tuple[str, ...]]) -> None:
    entities = state.get("substrate", "entities")
    fields = state.get("substrate", "fields")
    if entities is None or fields is None:
        entities, fields = {}, {}
        state.put("substrate", "fields", fields)
    ts = facts.ts
    horizon = ts - FIELD_RESOLUTION
    for entity in facts.present:
        seen = entities.get(entity)
        if seen is None or len(seen) < 3:
            seen = entities[entity] = [ts, 0, -1.0]
        seen[1] += 1  # updated in place: the put below marks the slice for writing
        if ts > seen[0]:
            seen[0] = ts
        names = tracked.get(entity)
        if not names:
            continue
        keys = _field_keys(entity, names)
        # Skip only when every tracked field was seen within the hour. Skipping on "this entity was
        # checked within the hour" made the scorecard depend on arrival order: a record without an
        # optional field, checked first, hid a later (or older) record that carried it.
        if all(fields.get(key, -1.0) >= horizon for key in keys):
            continue
        seen[2] = ts
        value = getattr(facts, entity, None)
        records = value if isinstance(value, list) else [value]
        for name, key in zip(names, keys, strict=True):
            if fields.get(key, -1.0) >= horizon:
                continue
            for record in records:
                if getattr(record, name, None) is not None:
                    fields[key] = ts
                    state.put("substrate", "fields", fields)
                    break
    state.put("substrate", "entities", entities)


def _apply_reference(state: RuleState, facts: Facts) -> None:
    if facts.store_config is not None:
        state.put("stores", facts.store_config.location_id, facts.store_config.model_dump(mode="json"))
    if facts.item_category is not None:
        state.put("categories", facts.item_category.id, facts.item_category.model_dump(mode="json"))
    record = facts.customer
    if record is not None:
        held = dict(state.get("customers", record.id) or {})
        changes = _trimmed(list(held.get("changes", [])), facts.ts, TIER_CHANGE_RETENTION)
        if "tier" in held and held["tier"] != record.tier:
            changes.append([facts.ts, held["tier"], record.tier])
        # Every record's tier in event time (Q-CT-02 derives the changes from it in any arrival order).
        tiers = [t for t in held.get("tiers", []) if t[0] >= facts.ts - TIER_CHANGE_RETENTION]
        if [facts.ts, record.tier] not in tiers:
            tiers = sorted([*tiers, [facts.ts, record.tier]], key=lambda t: (t[0], str(t[1])))
        held.update(tier=record.tier, tax_exempt=record.tax_exempt, changes=changes, tiers=tiers)
        state.put("customers", record.id, held)
    if facts.line_items:
        since = state.get("substrate", "items_since")
        if since is None or facts.ts < since:  # events can arrive out of order (backfills, replays)
            state.put("substrate", "items_since", facts.ts)
    for line in facts.line_items:
        if line.item_id is None:
            continue
        held = state.get("items", line.item_id)
        if held is None or (line.category_id and held[1] != line.category_id):
            state.put("items", line.item_id, [held[0] if held else facts.ts, line.category_id])


def _apply_transaction(state: RuleState, facts: Facts, txn: Transaction) -> None:
    ts = facts.ts
    cash, card, total = tender_split(facts)
    state.put(
        "txn",
        txn.id,
        [ts, committed(facts), txn.amount_cents, line_signature(facts), cash, card, txn.version_key, total],
    )
    if is_void(facts) and txn.employee_id:
        key = session_key(txn)
        if key is not None:
            vkey = f"{txn.employee_id}|{key}"
            rows = _trimmed(state.get("voids", vkey) or [], ts, RETENTION["voids"])
            if not any(row[1] == txn.id for row in rows):
                rows.append(
                    [ts, txn.id, txn.amount_cents, txn.device_id, facts.local_time, void_items(facts)]
                )
            state.put("voids", vkey, rows)
    if txn.customer_id and txn.type in SALE_TYPES:
        held = dict(state.get("customers", txn.customer_id) or {})
        ages = [ts - (item_first_seen(state, li.item_id) or ts) for li in facts.line_items]
        tickets = [t for t in held.get("tickets", []) if t[3] != txn.id]
        tickets.append(
            [
                ts,
                txn.amount_cents,
                len(facts.line_items),
                txn.id,
                max(ages, default=0.0),
                txn.employee_id,
                txn.location_id,
            ]
        )
        held["tickets"] = tickets[-TICKETS_KEPT:]
        state.put("customers", txn.customer_id, held)
    for tender in facts.tenders:
        if not tender.card_fingerprint:
            continue
        rows = _trimmed(state.get("cards", tender.card_fingerprint) or [], ts, RETENTION["cards"])
        if not any(row[3] == txn.id for row in rows):
            rows.append([ts, txn.customer_id, txn.location_id, txn.id])
        state.put("cards", tender.card_fingerprint, rows)


def _apply_transfers(state: RuleState, facts: Facts) -> None:
    header = facts.transfer
    if header is None:
        return
    key = f"{header.from_location}>{header.to_location}#{header.transfer_no}"
    held = dict(state.get("transfers", key) or {"sent": None, "recv": None})
    quantity = (
        sum(line.quantity for line in facts.transfer_lines)
        if facts.transfer_lines
        else (header.total_quantity or 0.0)
    )
    cost = sum(line.extended_cost_cents or 0 for line in facts.transfer_lines)
    side = "sent" if header.direction == "SENT" else "recv"
    held[side] = [quantity, cost]
    held["ts"] = facts.ts
    if held["sent"] is not None and held["recv"] is not None:
        route = f"{header.from_location}>{header.to_location}"
        rows = list(state.get("routes", route) or [])
        rows.append([facts.ts, header.transfer_no, held["sent"][0], held["recv"][0], held["sent"][1]])
        state.put("routes", route, rows[-ROUTE_KEPT:])
        state.pop("transfers", key)
    else:
        state.put("transfers", key, held)


def transfer_closing(state: RuleState, facts: Facts) -> tuple[str, float, float, int] | None:
    """(route, sent, received, sent cost) when this event brings a transfer's second side."""
    header = facts.transfer
    if header is None:
        return None
    key = f"{header.from_location}>{header.to_location}#{header.transfer_no}"
    held = state.get("transfers", key)
    if held is None:
        return None
    quantity = (
        sum(line.quantity for line in facts.transfer_lines)
        if facts.transfer_lines
        else (header.total_quantity or 0.0)
    )
    cost = sum(line.extended_cost_cents or 0 for line in facts.transfer_lines)
    if header.direction == "SENT" and held.get("recv") is not None:
        return f"{header.from_location}>{header.to_location}", quantity, float(held["recv"][0]), cost
    if header.direction != "SENT" and held.get("sent") is not None:
        sent = held["sent"]
        return f"{header.from_location}>{header.to_location}", float(sent[0]), quantity, int(sent[1])
    return None
