"""Store thresholds and item-category margin targets (``app`` schema; seed Q.1.8, Q.1.9).

These are tenant configuration that the rules read as parameters: a store's discount ceiling
(Q-DM-01), whether void/return reasons are enforced (Q-VR-*), whether a drawer may be reactivated
(Q-DS-03); a category's minimum and target profit percent (Q-ME-01). Percentages are percent
(50 means 50 %), as the vendor sends them.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlmodel import Field

from core.domain.columns import UTCDateTime
from core.domain.records import Canonical


class StoreConfig(Canonical):
    """PS_STR with its PS_STR_CFG_PS. Keyed on the store's location id, so it joins
    ``Transaction.location_id`` and ``locations.id`` directly. Flags are ``None`` when absent."""

    natural_key: ClassVar[tuple[str, ...]] = ("location_id",)

    location_id: str = Field(primary_key=True, max_length=128)  # cp:location:<STR_ID>
    source: str = Field(default="COUNTERPOINT", max_length=16)
    store_id: str = Field(max_length=32)
    name: str | None = Field(default=None, max_length=200)  # DESCR, e.g. "Main Store"
    stock_location: str | None = Field(default=None, max_length=32)
    tax_code: str | None = Field(default=None, max_length=32)  # AR_TAX_COD
    walk_in_customer_no: str | None = Field(default=None, max_length=32)
    max_discount_cents: int | None = None  # MAX_DISC_AMT
    max_discount_pct: float | None = None  # MAX_DISC_PCT
    min_profit_pct: float | None = None  # MIN_PFT_PCT (store level; '!' method = not used [I])
    min_profit_pct_method: str | None = Field(default=None, max_length=4)
    min_profit_pct_cost: str | None = Field(default=None, max_length=4)
    min_price_level: str | None = Field(default=None, max_length=4)
    require_return_reason: bool | None = None  # USE_RET_REAS
    require_price_change_reason: bool | None = None  # USE_PRC_CHNG_REAS
    require_void_completed_reason: bool | None = None  # USE_VOID_COMP_REAS
    require_ticket_tax_reason: bool | None = None  # USE_TKT_TAX_REAS
    default_return_reason: str | None = Field(default=None, max_length=32)
    no_max_return_amount: bool | None = None
    allow_drawer_reactivation: bool | None = None  # ALLOW_DRW_REACTIV
    auto_drawer_activate: bool | None = None
    auto_drawer_count: bool | None = None
    auto_drawer_reconcile: bool | None = None
    open_drawer_alarm: bool | None = None
    retain_card_numbers_in_history: bool | None = None
    allow_combined_validated_returns: bool | None = None
    allow_other_store_validated_returns: bool | None = None
    pay_in_method: str | None = Field(default=None, max_length=8)
    pay_out_method: str | None = Field(default=None, max_length=8)
    line_types: str | None = Field(default=None, max_length=32)  # LIN_TYP_1..8, comma-separated
    vendor_updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ItemCategory(Canonical):
    """IM_CATEG_COD. ``LineItem.category_id`` holds this record's id."""

    id: str = Field(primary_key=True, max_length=128)  # cp:category:<CATEG_COD>
    source: str = Field(default="COUNTERPOINT", max_length=16)
    category_code: str = Field(max_length=32)
    description: str | None = Field(default=None, max_length=200)
    min_profit_pct: float | None = None  # MIN_PFT_PCT
    target_profit_pct: float | None = None  # TRGT_PFT_PCT
    subcategory_codes: str = Field(default="", max_length=2_000)  # comma-separated
    vendor_updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
