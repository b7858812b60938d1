"""A line of a stored Square file → the units to seal (``canary backfill square --file``).

A file holds one JSON object per line, each one of:
- a **webhook body**, exactly as Square sent it (``event_id``, ``type``, ``data``): sealed as is;
- a **Square API object** in the shape its Retrieve/Get call answers: ``{"order": {...}}``,
  ``{"orders": [...]}`` (BatchRetrieveOrders, SearchOrders), ``{"payment": {...}}`` or
  ``{"refund": {...}}`` (with ``"order": {...}`` beside it for the order it names, which gives the
  sale the payment's employee and till as well as the order's lines and tenders), or
  ``{"cash_drawer_shift": {...}}`` with the shift's events beside it as
  ``"cash_drawer_shift_events": [...]`` (ListCashDrawerShiftEvents) or ``"events"``, and the
  shift's ``"location_id"`` when the shift itself omits it. Each object becomes the same document
  polling writes (``polling.py``), so an order in a file gives its lines and tenders, and a drawer
  shift its events, exactly as a poll would;
- a document Canary wrote itself while polling (``canary_polled``): sealed as is.

``object_units`` answers ``None`` for anything that is not an API object; the caller seals such a
line as a webhook body, and it fails at parse, visibly, if it is not one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.adapters.square.api import SquareObject
from core.adapters.square.polling import PolledUnit, order_unit, payment_unit, refund_unit, shift_unit

SHIFT_EVENT_KEYS = ("cash_drawer_shift_events", "events")


def object_units(body: Any, fetched_at: datetime) -> list[PolledUnit] | None:
    """The units an API-object line stands for, or ``None`` when the line is not one."""
    if not isinstance(body, dict) or "event_id" in body or "canary_polled" in body:
        return None
    order = body.get("order") if isinstance(body.get("order"), dict) else None
    if isinstance(body.get("payment"), dict):
        return [payment_unit(body["payment"], fetched_at, order=order)]
    if isinstance(body.get("refund"), dict):
        return [refund_unit(body["refund"], fetched_at, order=order)]
    if order is not None:
        return [order_unit(order, fetched_at)]
    if isinstance(body.get("orders"), list):
        return [order_unit(o, fetched_at) for o in body["orders"] if isinstance(o, dict)]
    if isinstance(body.get("cash_drawer_shift"), dict):
        return [_shift(body, fetched_at)]
    return None


def _shift(body: dict[str, Any], fetched_at: datetime) -> PolledUnit:
    shift: SquareObject = body["cash_drawer_shift"]
    events: list[Any] = next((body[k] for k in SHIFT_EVENT_KEYS if isinstance(body.get(k), list)), [])
    location = body.get("location_id") or shift.get("location_id")
    # A shift with no location anywhere is still sealed; its parse says what is missing.
    return shift_unit(shift, [e for e in events if isinstance(e, dict)], str(location or ""), fetched_at)


@dataclass(frozen=True)
class OrderNamed:
    """A payment or refund webhook that names an order: enough to fetch it and write the document
    that pairs the two."""

    family: str  # payment | refund
    obj: SquareObject
    location_id: str | None
    order_id: str

    def unit(self, order: SquareObject, fetched_at: datetime) -> PolledUnit:
        build = payment_unit if self.family == "payment" else refund_unit
        return build(self.obj, fetched_at, order=order)


def order_named(body: Any) -> OrderNamed | None:
    """The order a payment or refund webhook names, if any."""
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        return None
    family = body["type"].split(".", 1)[0]
    if family not in ("payment", "refund"):
        return None
    data = body.get("data")
    holder = data.get("object") if isinstance(data, dict) else None
    obj = holder.get(family) if isinstance(holder, dict) else None
    order_id = obj.get("order_id") if isinstance(obj, dict) else None
    if not isinstance(obj, dict) or not isinstance(order_id, str) or not order_id:
        return None
    location = obj.get("location_id")
    return OrderNamed(family, obj, location if isinstance(location, str) else None, order_id)
