"""The windows several rules share, and the read-only questions rules may ask of them. A window
only one rule needs is declared next to that rule (``families/*.py``: ``Window`` with its key,
retention, shards and fold), and each rule lists what it reads in ``rule(history=...)``.

Order matters and is fixed by the engine: every rule reads the state as it stood *before* the event
(plus the event itself), then ``apply`` folds the event in. So a window query never sees its own
event twice and never sees a later one, which is what makes a backtest point-in-time.

Declared here (all times epoch seconds):
- ``substrate``: per entity, when last seen and how often; per required field, when last non-null;
  ``items_since``: the earliest sale line seen, where the item history begins.
- ``stores``, ``categories``, ``mix_match``: reference data as events delivered it.
- ``customers``: tier, tax exemption, tier records (90 d) and the last 50 tickets.
- ``items``: when an item was first seen and its category (item-code drift, write-off categories).
- ``txn`` (7 d): each transaction's money fingerprint at its newest version (by version key), for
  edits, tender swaps and counting a redelivered sale once.
- ``fired`` (400 d): what the engine has emitted per episode or de-duplication key.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

from core.domain.sales import Transaction
from core.domain.store_config import ItemCategory, StoreConfig
from core.rules.facts import Facts
from core.rules.state import REGISTRY, RuleState, Window
from core.rules.state import retention as state_retention

DAY = 86_400.0
RULE_MEMORY_RETENTION = 800 * DAY  # Q-IS-04's seasonal baseline compares with last year
TIER_CHANGE_RETENTION = 90 * DAY
TICKETS_KEPT = 50

VOID_TYPES = frozenset({"VOID", "POST_VOID"})
SALE_TYPES = frozenset({"SALE", "EXCHANGE"})
CASH = "CASH"
CARD_TYPES = frozenset({"CARD", "DEBIT", "CREDIT", "CREDIT_CARD"})

# The windows several rules read (a window only one rule needs is declared next to that rule).
SUBSTRATE: Window[Any] = Window(
    "substrate", key="entities | fields | items_since: what the substrate has delivered", shards=1
)
STORES: Window[dict[str, Any]] = Window("stores", key="location: its store configuration", shards=1)
CATEGORIES: Window[dict[str, Any]] = Window("categories", key="category: its record", shards=1)
MIX_MATCH: Window[list[str]] = Window("mix_match", key="mix-and-match code: its items", shards=1)
CUSTOMERS: Window[dict[str, Any]] = Window(
    "customers", key="customer: tier, exemption, tier records (90 d), last 50 tickets", shards=16
)
ITEMS: Window[list[Any]] = Window("items", key="item: [first seen, category]", shards=16)
TXN: Window[list[Any]] = Window(
    "txn",
    key="transaction: [ts, committed, amount, lines, cash, card, version, tendered]",
    retention=7 * DAY,
    shards=32,
)
FIRED: Window[Any] = Window(
    "fired", key="rule|episode or rule|dedupe key: what the engine has emitted", retention=400 * DAY, shards=8
)


def retention() -> dict[str, float]:
    """Every declared window's retention (the windows next to their rules register on import)."""
    return state_retention()


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
    raw = STORES.get(state, location_id)
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
    raw = CATEGORIES.get(state, category_id)
    if raw is None:
        return None
    key = ("categories", category_id)
    cached = state.cache.get(key)
    if cached is None or cached[0] is not raw:
        cached = (raw, ItemCategory.model_validate(raw))
        state.cache[key] = cached
    return cached[1]


def customer(state: RuleState, customer_id: str | None) -> dict[str, Any] | None:
    return None if customer_id is None else CUSTOMERS.get(state, customer_id)


def customer_tier(state: RuleState, customer_id: str | None) -> str | None:
    entry = customer(state, customer_id)
    return entry.get("tier") if entry else None


def item_first_seen(state: RuleState, item_id: str | None) -> float | None:
    """When the item first sold (None: never seen on a sale line, if known from the item master)."""
    entry = ITEMS.get(state, item_id) if item_id else None
    return float(entry[0]) if entry and entry[0] is not None else None


def items_since(state: RuleState) -> float | None:
    """The earliest sale line this tenant's windows have seen: where its item history begins."""
    held = SUBSTRATE.get(state, "items_since")
    return None if held is None else float(held)


def first_seen_new(state: RuleState, first_seen: float, now: float, grace: float) -> bool:
    """Whether an item first sold at ``first_seen`` is new to the catalog at ``now``: first seen
    within ``grace`` of now, and at least ``grace`` after the item history began. An item already
    selling when Canary started watching a tenant is established stock whose earlier sales we never
    saw: in a freshly onboarded tenant every item is "first seen" in its first days, and treating
    them all as new would blind the item-code-drift allowances for a whole grace period."""
    since = items_since(state)
    return now - first_seen <= grace and since is not None and first_seen - since >= grace


def first_sale_now(state: RuleState, facts: Facts, item_id: str | None) -> float | None:
    """The item's first sale in event time with ``facts``' lines counted (the windows fold an event
    in after the rules read them)."""
    first = item_first_seen(state, item_id)
    if item_id and any(li.item_id == item_id for li in facts.line_items):
        first = facts.ts if first is None else min(first, facts.ts)
    return first


def items_since_now(state: RuleState, facts: Facts) -> float | None:
    """Where the item history begins with ``facts``' lines counted."""
    since = items_since(state)
    if facts.line_items:
        since = facts.ts if since is None else min(since, facts.ts)
    return since


def new_as_of(since: float | None, first_seen: float, now: float, grace: float) -> bool:
    """``first_seen_new`` with the history's beginning given."""
    return now - first_seen <= grace and since is not None and first_seen - since >= grace


def reaches_back(state: RuleState, facts: Facts) -> bool:
    """Whether ``facts``' lines move where the item history begins, or an item's first sale, earlier:
    what a rule judging "new to the catalog" must re-judge its later sales for."""
    if not facts.line_items:
        return False
    since = items_since(state)
    if since is None or facts.ts < since:
        return True
    return any(
        (first := item_first_seen(state, li.item_id)) is not None and facts.ts < first
        for li in facts.line_items
    )


def item_is_new(state: RuleState, item_id: str | None, now: float, grace: float) -> bool:
    first = item_first_seen(state, item_id)
    return first_seen_new(state, now if first is None else first, now, grace)


def item_category(state: RuleState, item_id: str | None) -> str | None:
    entry = ITEMS.get(state, item_id) if item_id else None
    return entry[1] if entry else None


def named_categories(facts: Facts) -> dict[str, str]:
    """The categories this event's sale lines name, by item: what ``items`` holds for them once the
    event is folded in (a line without a category leaves the item's as it was)."""
    held = facts.scratch.get("named_categories")
    if held is None:
        held = facts.scratch["named_categories"] = {
            li.item_id: li.category_id for li in facts.line_items if li.item_id and li.category_id
        }
    return held  # type: ignore[no-any-return]


def mix_match_items(state: RuleState, code: str) -> list[str] | None:
    return MIX_MATCH.get(state, code)


# Applying an event ---------------------------------------------------------------------------------


def trimmed(rows: list[Any], now: float, keep: float) -> list[Any]:
    """Rows led by their time, without those older than ``keep`` behind ``now``."""
    horizon = now - keep
    return [row for row in rows if row[0] >= horizon]


def apply(state: RuleState, facts: Facts, tracked: Mapping[str, tuple[str, ...]]) -> None:
    """Fold one event into every window (after the rules have read them): the substrate record and
    reference data first, then each window declared next to its rule (they read nothing but their
    own table and the transaction fingerprints as they stood before the event), then the shared
    transaction and customer windows."""
    _apply_substrate(state, facts, tracked)
    _apply_reference(state, facts)
    for window in REGISTRY.values():
        if window.fold is not None:
            window.fold(state, facts)
    if facts.transaction is not None:
        _apply_transaction(state, facts, facts.transaction)
    for group in facts.mix_match_groups:
        members = set(group.item_ids)
        if not group.complete:  # an item-master record names one member: the others stay
            members |= set(MIX_MATCH.get(state, group.code) or [])
        MIX_MATCH.put(state, group.code, sorted(members))


FIELD_RESOLUTION = 3600.0  # a field's "last seen" is kept to the hour: checking every event buys nothing


@functools.cache
def _field_keys(entity: str, names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"{entity}.{name}" for name in names)


@functools.cache
def _in_order(present: frozenset[str]) -> tuple[str, ...]:
    """The entities an event carried, sorted: a frozenset iterates in an order salted per process
    (PYTHONHASHSEED), and the substrate record keeps its entities and fields in insertion order, so
    iterating the set itself made the persisted slice differ byte for byte between two runs."""
    return tuple(sorted(present))


def _apply_substrate(state: RuleState, facts: Facts, tracked: Mapping[str, tuple[str, ...]]) -> None:
    entities = SUBSTRATE.get(state, "entities")
    fields = SUBSTRATE.get(state, "fields")
    if entities is None or fields is None:
        entities, fields = {}, {}
        SUBSTRATE.put(state, "fields", fields)
    ts = facts.ts
    horizon = ts - FIELD_RESOLUTION
    cache = state.cache
    for entity in _in_order(facts.present):
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
        # optional field, checked first, hid a later (or older) record that carried it. The oldest
        # of the entity's fields is remembered (``fields`` changes only below, and a reload replaces
        # it), so the usual event compares one number instead of reading every field.
        memo = cache.get(("fields", entity))
        if memo is not None and memo[0] is fields and memo[1] is keys:
            oldest = memo[2]
        else:
            oldest = min(fields.get(key, -1.0) for key in keys)
            cache[("fields", entity)] = (fields, keys, oldest)
        if oldest >= horizon:
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
                    SUBSTRATE.put(state, "fields", fields)
                    break
        cache[("fields", entity)] = (fields, keys, min(fields.get(key, -1.0) for key in keys))
    SUBSTRATE.put(state, "entities", entities)


def _apply_reference(state: RuleState, facts: Facts) -> None:
    if facts.store_config is not None:
        STORES.put(state, facts.store_config.location_id, facts.store_config.model_dump(mode="json"))
    if facts.item_category is not None:
        CATEGORIES.put(state, facts.item_category.id, facts.item_category.model_dump(mode="json"))
    record = facts.customer
    if record is not None:
        held = dict(CUSTOMERS.get(state, record.id) or {})
        changes = trimmed(list(held.get("changes", [])), facts.ts, TIER_CHANGE_RETENTION)
        if "tier" in held and held["tier"] != record.tier:
            changes.append([facts.ts, held["tier"], record.tier])
        # Every record's tier in event time (Q-CT-02 derives the changes from it in any arrival order).
        tiers = list(held.get("tiers", []))
        if [facts.ts, record.tier] not in tiers:
            tiers = sorted([*tiers, [facts.ts, record.tier]], key=lambda t: (t[0], str(t[1])))
        # Records older than the retention are dropped, except the newest of them: it is the tier in
        # force when the kept ones begin, which a change inside the retention is a change from.
        horizon = facts.ts - TIER_CHANGE_RETENTION
        older = [t for t in tiers if t[0] < horizon]
        tiers = older[-1:] + [t for t in tiers if t[0] >= horizon]
        held.update(tier=record.tier, tax_exempt=record.tax_exempt, changes=changes, tiers=tiers)
        CUSTOMERS.put(state, record.id, held)
    if facts.line_items:
        since = SUBSTRATE.get(state, "items_since")
        if since is None or facts.ts < since:  # events can arrive out of order (backfills, replays)
            SUBSTRATE.put(state, "items_since", facts.ts)
    for line in facts.line_items:
        if line.item_id is None:
            continue
        item = ITEMS.get(state, line.item_id)
        known = item[0] if item is not None else None
        if (
            known is None
            or facts.ts < known
            or (item is not None and line.category_id and item[1] != line.category_id)
        ):
            # The first sale in event time: a later-arriving, earlier sale moves it back.
            first = facts.ts if known is None else min(float(known), facts.ts)
            ITEMS.put(state, line.item_id, [first, line.category_id or (item[1] if item else None)])


def _apply_transaction(state: RuleState, facts: Facts, txn: Transaction) -> None:
    ts = facts.ts
    cash, card, total = tender_split(facts)
    prior = TXN.get(state, txn.id)
    if prior is None or str(prior[6]) <= txn.version_key:  # the newest version, whatever arrives last
        TXN.put(
            state,
            txn.id,
            [
                ts,
                committed(facts),
                txn.amount_cents,
                line_signature(facts),
                cash,
                card,
                txn.version_key,
                total,
            ],
        )
    if txn.customer_id and txn.type in SALE_TYPES:
        held = dict(CUSTOMERS.get(state, txn.customer_id) or {})
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
        CUSTOMERS.put(state, txn.customer_id, held)
