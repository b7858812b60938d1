"""Canonical ids for Square things, so every table joins on the same spelling.

``sq:location:<id>`` is the id onboarding gives a Square location (core/tenancy.py). A sale is keyed
on its order (``sq:order:<id>``) because an order is the receipt and its payments are its tenders; a
payment with no order stands alone as ``sq:payment:<id>``. A refund is its own transaction
(``sq:refund:<id>``). Drawer events that are transactions in their own right (NO_SALE, PAID_IN,
PAID_OUT) share the id of their ``DrawerEvent`` (``sq:drawer_event:<id>``), so the two join directly.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.domain.parsing import ParseContext
from core.domain.records import Vendor, canonical_id

SQ = Vendor.SQUARE


def sq_id(kind: str, external_id: str) -> str:
    return canonical_id(SQ, kind, external_id)


def maybe(kind: str, external_id: str | None) -> str | None:
    return None if external_id is None else canonical_id(SQ, kind, external_id)


def location_id(external_id: str | None) -> str | None:
    return maybe("location", external_id)


def device_id(external_id: str | None) -> str | None:
    return maybe("device", external_id)


def employee_id(external_id: str | None) -> str | None:
    return maybe("employee", external_id)


def customer_id(external_id: str | None) -> str | None:
    return maybe("customer", external_id)


def order_transaction_id(order_id: str) -> str:
    return canonical_id(SQ, "order", order_id)


def payment_transaction_id(payment_id: str, order_id: str | None) -> str:
    return order_transaction_id(order_id) if order_id else canonical_id(SQ, "payment", payment_id)


def local_wall_clock(ctx: ParseContext, location: str | None, instant: datetime) -> str | None:
    """The instant on the location's wall clock, for hour-of-day rules. A location the merchant has
    not onboarded (the pipeline's look-up raises KeyError) or one with a broken zone gives ``None``
    rather than a guess: UTC hours would put a lunchtime sale in the small hours."""
    if location is None:
        return None
    try:
        zone = ZoneInfo(ctx.location_timezone(location))
        return instant.astimezone(zone).replace(tzinfo=None).isoformat()
    except (KeyError, ZoneInfoNotFoundError, ValueError, OverflowError):
        return None
