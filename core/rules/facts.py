"""The typed view rules read: one parsed event's canonical records, nothing vendor-shaped.

``Facts.from_event`` turns a ``ParsedEvent`` (schema v1, its ``facts`` holding canonical records as
JSON) into typed records. Keys follow the canonical entity names; the few spellings adapters use for
the same thing (``lines`` under a stock header, ``adjustment``, ``refund_links``) are folded in here
so no rule knows which adapter produced an event.

Two substrate contracts no adapter emits yet are declared here so rules can name them and the
scorecard can say they are missing: ``PriceChange`` (an item's price lowered by a user, for Q-DM-02)
and ``MixMatchGroup`` (which items a mix-and-match code covers, for Q-MM-02). ``BubbleEpisode`` is
what Bubble's scoring hands the A-BUBBLE-* rules (core/bubble/service/signals.py, docs/bubble.md):
one device or store excursion, never a vendor record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

from core.domain.documents import AuditLogEntry, Document, DocumentTax, OriginalDocRef, PricingDecision
from core.domain.parsing import ParsedEvent
from core.domain.parties import CustomerRecord
from core.domain.sales import DrawerEvent, DrawerShift, LineItem, RefundLink, Tender, Transaction
from core.domain.stock import (
    InventoryAdjustment,
    Receiver,
    ReceiverLine,
    ReturnToVendor,
    ReturnToVendorLine,
    Transfer,
    TransferLine,
)
from core.domain.store_config import ItemCategory, StoreConfig
from core.rules.record_loading import build


class PriceChange(BaseModel):
    """Contract: an item's selling price changed by a user (Counterpoint price maintenance, a Square
    catalog edit with its team member). Counterpoint's item master gives no change record: Q-DM-02's
    window derives changes from consecutive item-master prices (``families/discount.py``)."""

    model_config = ConfigDict(frozen=True)

    item_id: str
    employee_id: str | None = None
    location_id: str | None = None
    old_price_cents: int | None = None
    new_price_cents: int
    occurred_at: datetime


class MixMatchGroup(BaseModel):
    """Contract: a mix-and-match code and the items it covers (ASSUMPTION-Q-12)."""

    model_config = ConfigDict(frozen=True)

    code: str
    item_ids: tuple[str, ...]
    description: str | None = None
    # False: these items belong to the group, which may hold others (an item-master record names its
    # own group); True: the group is exactly these items.
    complete: bool = True


class CatalogItem(BaseModel):
    """Contract: an item-master record (Counterpoint IM_ITEM): the item's category and mix-and-match
    code, known before (or without) any sale of it. The windows take its mix-and-match group
    (``mix_match_groups``); items' categories still come from sale lines (docs/counterpoint.md,
    "Item master")."""

    model_config = ConfigDict(frozen=True)

    id: str  # as sale lines name the item (LineItem.item_id)
    category_id: str | None = None
    mix_match_code: str | None = None
    description: str | None = None
    price_cents: int | None = None  # PRC_1, the selling price
    maintained_by: str | None = None  # the user who last changed the record (LST_MAINT_USR_ID)


class EpisodeDimension(BaseModel):
    """One dimension's part in a Bubble episode: its share of the excursion and expected vs observed
    summed (averaged for ticket, gap and employees) over the episode's hours, in ``unit``."""

    model_config = ConfigDict(frozen=True)

    dimension: str
    share: float
    expected: float
    observed: float
    unit: str


class BubbleEpisode(BaseModel):
    """Contract: one Bubble episode (contiguous anomalous hours of a device, or of a store's common
    mode) as the A-BUBBLE-* rules read it. ``peak_score`` is the peak channel statistic over its
    calibrated threshold (1 or more); ``end`` is the end of the last flagged hour."""

    model_config = ConfigDict(frozen=True)

    id: str
    scope: str  # device | store
    store_id: str
    device_id: str | None = None
    start: datetime
    end: datetime
    hours: int
    peak_score: float
    channel: str  # hourly | drift
    dimensions: tuple[EpisodeDimension, ...] = ()


# Canonical entity name -> record type: what ``requires`` may name (the meta-test checks every field).
ENTITY_TYPES: dict[str, type[BaseModel]] = {
    "transaction": Transaction,
    "line_items": LineItem,
    "tenders": Tender,
    "refund_link": RefundLink,
    "document": Document,
    "audit_log": AuditLogEntry,
    "pricing_decisions": PricingDecision,
    "taxes": DocumentTax,
    "original_doc_refs": OriginalDocRef,
    "drawer_shift": DrawerShift,
    "drawer_events": DrawerEvent,
    "customer": CustomerRecord,
    "store_config": StoreConfig,
    "item_category": ItemCategory,
    "transfer": Transfer,
    "transfer_lines": TransferLine,
    "receiver": Receiver,
    "receiver_lines": ReceiverLine,
    "return_to_vendor": ReturnToVendor,
    "rtv_lines": ReturnToVendorLine,
    "inventory_adjustments": InventoryAdjustment,
    "price_changes": PriceChange,
    "mix_match_groups": MixMatchGroup,
    "catalog_items": CatalogItem,
    "bubble_episode": BubbleEpisode,
}

# Reference entities: configuration the rules join rather than events they evaluate.
REFERENCE_ENTITIES = frozenset(
    {"customer", "store_config", "item_category", "mix_match_groups", "catalog_items"}
)

# Other spellings adapters use for the same entity.
_ALIASES = {
    "refund_links": "refund_link",
    "adjustment": "inventory_adjustments",
    "inventory_adjustment": "inventory_adjustments",
    "price_change": "price_changes",
    "mix_match_group": "mix_match_groups",
    "cash_drawer_shift": "drawer_shift",
    "shift": "drawer_shift",
    "cash_drawer_events": "drawer_events",
    "transaction_taxes": "taxes",
    "audit_log_entries": "audit_log",
}
_LINES_BY_KIND = {"transfer": "transfer_lines", "receiver": "receiver_lines", "return_to_vendor": "rtv_lines"}
_LIST_ENTITIES = frozenset(
    {
        "line_items",
        "tenders",
        "audit_log",
        "pricing_decisions",
        "taxes",
        "original_doc_refs",
        "drawer_events",
        "transfer_lines",
        "receiver_lines",
        "rtv_lines",
        "inventory_adjustments",
        "price_changes",
        "mix_match_groups",
        "catalog_items",
    }
)

M = TypeVar("M", bound=BaseModel)


@dataclass(slots=True)
class Facts:
    """One event as the rules see it. ``present`` names the entities the payload carried (an empty
    list counts: Q-VR-01 tells "no link" from "no array"); ``ts`` is ``occurred_at`` in epoch seconds."""

    merchant_id: str
    seq: int
    kind: str
    entity_id: str
    source: str
    occurred_at: datetime
    ts: float
    present: frozenset[str]
    transaction: Transaction | None = None
    line_items: list[LineItem] = field(default_factory=list)
    tenders: list[Tender] = field(default_factory=list)
    refund_link: RefundLink | None = None
    document: Document | None = None
    audit_log: list[AuditLogEntry] = field(default_factory=list)
    pricing_decisions: list[PricingDecision] = field(default_factory=list)
    taxes: list[DocumentTax] = field(default_factory=list)
    original_doc_refs: list[OriginalDocRef] | None = None
    drawer_shift: DrawerShift | None = None
    drawer_events: list[DrawerEvent] = field(default_factory=list)
    customer: CustomerRecord | None = None
    store_config: StoreConfig | None = None
    item_category: ItemCategory | None = None
    transfer: Transfer | None = None
    transfer_lines: list[TransferLine] = field(default_factory=list)
    receiver: Receiver | None = None
    receiver_lines: list[ReceiverLine] = field(default_factory=list)
    return_to_vendor: ReturnToVendor | None = None
    rtv_lines: list[ReturnToVendorLine] = field(default_factory=list)
    inventory_adjustments: list[InventoryAdjustment] = field(default_factory=list)
    price_changes: list[PriceChange] = field(default_factory=list)
    mix_match_groups: list[MixMatchGroup] = field(default_factory=list)
    catalog_items: list[CatalogItem] = field(default_factory=list)
    bubble_episode: BubbleEpisode | None = None
    scratch: dict[str, Any] = field(default_factory=dict)  # per-event memo for the windows, never stored

    @classmethod
    def from_event(cls, event: ParsedEvent, *, fallback_time: datetime | None = None) -> Facts:
        return cls.from_parts(
            merchant_id=event.merchant_id,
            seq=event.evidence_seq,
            kind=event.kind,
            entity_id=event.entity_id,
            source=event.source,
            occurred_at=event.occurred_at,
            facts=event.facts,
            fallback_time=fallback_time,
        )

    @classmethod
    def from_parts(
        cls,
        *,
        merchant_id: str,
        seq: int,
        kind: str,
        entity_id: str,
        source: str,
        occurred_at: datetime | None,
        facts: Mapping[str, Any],
        fallback_time: datetime | None = None,
    ) -> Facts:
        values: dict[str, Any] = {}
        present: set[str] = set()
        for raw_key, raw in facts.items():
            key = _ALIASES.get(raw_key, raw_key)
            if key == "lines":
                key = _LINES_BY_KIND.get(kind, "")
            model = ENTITY_TYPES.get(key)
            if model is None:
                continue
            if raw is None:
                # A null record means "the adapter looked and there is none" (Square's refund with no
                # link); a null list means "the payload had no such array" (Counterpoint's missing
                # PS_DOC_HDR_ORIG_DOC), which is a substrate gap, not an empty answer.
                if key not in _LIST_ENTITIES:
                    present.add(key)
                continue
            present.add(key)
            if key in _LIST_ENTITIES:
                items = raw if isinstance(raw, list) else [raw]
                values[key] = [_load(model, item) for item in items]
            elif isinstance(raw, list):
                values[key] = _load(model, raw[0]) if raw else None
            else:
                values[key] = _load(model, raw)
        when = occurred_at or _record_time(values) or fallback_time or datetime.fromtimestamp(0, UTC)
        return cls(
            merchant_id=merchant_id,
            seq=seq,
            kind=kind,
            entity_id=entity_id,
            source=source,
            occurred_at=when,
            ts=when.timestamp(),
            present=frozenset(present),
            **values,
        )

    @property
    def local_time(self) -> str | None:
        """The store's wall clock for this event, when the adapter knew the zone."""
        if self.transaction is not None and self.transaction.local_occurred_at:
            return self.transaction.local_occurred_at
        if self.document is not None and self.document.local_occurred_at:
            return self.document.local_occurred_at
        return None


def _load(model: type[M], raw: Any) -> M:
    return build(model, raw)  # model_validate's result, built directly when raw is well-typed


def _record_time(values: Mapping[str, Any]) -> datetime | None:
    """An event without ``occurred_at`` (a customer, a store config) is timed by its record."""
    for key, attr in (
        ("transaction", "occurred_at"),
        ("drawer_shift", "closed_at"),
        ("drawer_shift", "ended_at"),
        ("drawer_shift", "opened_at"),
        ("receiver", "received_at"),
        ("transfer", "occurred_at"),
        ("return_to_vendor", "returned_at"),
        ("store_config", "vendor_updated_at"),
        ("item_category", "vendor_updated_at"),
        ("bubble_episode", "start"),
    ):
        record = values.get(key)
        stamp = getattr(record, attr, None) if record is not None else None
        if isinstance(stamp, datetime):
            return stamp
    adjustments = values.get("inventory_adjustments") or []
    for adjustment in adjustments:
        if adjustment.occurred_at is not None:
            return adjustment.occurred_at  # type: ignore[no-any-return]
    changes = values.get("price_changes") or []
    if changes:
        return changes[0].occurred_at  # type: ignore[no-any-return]
    customer = values.get("customer")
    return _version_time(customer.version_key) if customer is not None else None


def _version_time(key: str) -> datetime | None:
    """The vendor's updated-at time encoded in a ``version_key`` (see core.domain.records)."""
    stamp = key.partition("|")[0]
    if not stamp or stamp.startswith("0"):
        return None
    try:
        return datetime.strptime(stamp, "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def field_exists(dotted: str) -> bool:
    """``entity.field`` names a real field of a canonical record, or ``entity`` alone a canonical entity
    (the rule needs the adapter to say whether there is one, as Square's ``refund_link`` does)."""
    entity, dot, name = dotted.partition(".")
    model = ENTITY_TYPES.get(entity)
    return model is not None and (not dot or name in model.model_fields)
