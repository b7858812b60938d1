"""Vendor-estimated stock on hand (``sales`` schema): one row per (location, item variation, state).

Square reports a computed count after every change rather than the change itself, so this is a
snapshot that moves forward in ``calculated_at``; adjustments and transfers (what shrink rules want)
live in ``core.domain.stock``.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlmodel import Field

from core.domain.columns import UTCDateTime
from core.domain.records import Canonical


class InventoryCount(Canonical):
    natural_key: ClassVar[tuple[str, ...]] = ("location_id", "catalog_object_id", "state")

    location_id: str = Field(primary_key=True, max_length=128)
    catalog_object_id: str = Field(primary_key=True, max_length=128)
    state: str = Field(primary_key=True, max_length=40)  # IN_STOCK | SOLD | WASTE | RETURNED_BY_CUSTOMER | …
    source: str = Field(max_length=16)
    catalog_object_type: str | None = Field(default=None, max_length=40)
    quantity: float = 0.0  # decimal in the vendor's unit; weights exist
    is_estimated: bool | None = None
    calculated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
