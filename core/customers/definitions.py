"""What R counts, in one place (pure: no I/O). docs/customers.md explains each rule with examples.

- A **sale** is a transaction of type ``SALE`` with status ``COMPLETED``; its ``amount_cents`` (what
  the customer paid, tax included) adds to gross lifetime value and it is one purchase.
- A **refund** is a transaction of type ``REFUND`` with status ``COMPLETED``; its ``amount_cents``
  (what the customer got back) adds to refunds.
- **Net** lifetime value = gross − refunds. Other types (VOID, POST_VOID, EXCHANGE, NO_SALE, PAID_IN,
  PAID_OUT) and other statuses (PENDING, VOIDED, ORDER, FAILED …) move no money in R.
- **First/last seen** span every transaction that names the customer, whatever its type or status:
  the customer was at the till.
- Segments are computed at query time from those figures (``segment_of``), never stored.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from core.domain.records import Vendor

SALE, REFUND, COMPLETED = "SALE", "REFUND", "COMPLETED"
MIXED_CURRENCY = "XXX"  # ISO 4217 "no currency": the sums mix currencies and mean nothing as one figure
TOMBSTONE_PREFIX = "forgotten:"

Segment = Literal["new", "regular", "one-off", "lapsed"]
SEGMENTS: tuple[Segment, ...] = ("new", "regular", "one-off", "lapsed")


def is_sale(type_: str, status: str) -> bool:
    return type_ == SALE and status == COMPLETED


def is_refund(type_: str, status: str) -> bool:
    return type_ == REFUND and status == COMPLETED


@dataclass(frozen=True)
class SegmentThresholds:
    """``new``: first seen within ``new_days``; ``lapsed``: not seen for more than ``lapsed_days``;
    ``regular``: at least ``regular_min_purchases`` sales; ``one-off``: fewer. Checked in that order."""

    new_days: int = 30
    lapsed_days: int = 90
    regular_min_purchases: int = 2

    def __post_init__(self) -> None:
        if not 1 <= self.new_days <= 3650 or not 1 <= self.lapsed_days <= 3650:
            raise ValueError("new_days and lapsed_days must be between 1 and 3650")
        if not 2 <= self.regular_min_purchases <= 1000:
            raise ValueError("regular_min_purchases must be between 2 and 1000")

    def new_since(self, as_of: datetime) -> datetime:
        return as_of - timedelta(days=self.new_days)

    def lapsed_before(self, as_of: datetime) -> datetime:
        return as_of - timedelta(days=self.lapsed_days)

    def describe(self) -> dict[Segment, str]:
        return {
            "new": f"first seen within the last {self.new_days} days",
            "lapsed": f"not seen for more than {self.lapsed_days} days (and not new)",
            "regular": f"{self.regular_min_purchases}+ completed sales, seen within {self.lapsed_days} days",
            "one-off": f"fewer than {self.regular_min_purchases} completed sales, seen within "
            f"{self.lapsed_days} days",
        }


def segment_of(
    first_seen: datetime | None,
    last_seen: datetime | None,
    purchases: int,
    as_of: datetime,
    thresholds: SegmentThresholds,
) -> Segment | None:
    """The customer's segment on ``as_of``; ``None`` for a customer never seen in a transaction."""
    if first_seen is None or last_seen is None:
        return None
    if first_seen >= thresholds.new_since(as_of):
        return "new"
    if last_seen < thresholds.lapsed_before(as_of):
        return "lapsed"
    return "regular" if purchases >= thresholds.regular_min_purchases else "one-off"


def split_customer_id(customer_id: str) -> tuple[str, str]:
    """(source, vendor id) of a canonical customer id such as ``sq:customer:ABC``."""
    prefix, _, rest = customer_id.partition(":")
    kind, _, external = rest.partition(":")
    vendor = Vendor.of_id(customer_id) if prefix else None
    if vendor is None or kind != "customer" or not external:
        return "UNKNOWN", customer_id
    return vendor.value, external


def new_tombstone() -> str:
    """A random stand-in for a forgotten customer's ids: it links to nothing and cannot be reversed."""
    return f"{TOMBSTONE_PREFIX}{secrets.token_hex(16)}"


def is_tombstone(value: str | None) -> bool:
    return bool(value) and str(value).startswith(TOMBSTONE_PREFIX)
