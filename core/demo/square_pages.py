"""Square's REST API served from a simulated world's ``square/api/`` pages, behind the ``SquareApi``
port, so the real poller (``core.adapters.square.polling``) and the parse stage's order enrichment
run against it exactly as they run against Square.

What it serves: orders by id (the parse stage enriches payments and refunds with their order),
cash drawer shifts by location in a ``[begin, end)`` window on ``opened_at`` (summaries, as Square's
list call returns them; the full shift by id) and each shift's events. The list calls for payments,
refunds and orders answer empty pages on purpose: the demo's payments, refunds and orders arrive as
webhooks, and polling them as well would seal each object twice (the reconciliation poll's job, not
the demo's). Drawers have no webhooks, so polling is their only way in.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from core.adapters.square.api import SHIFT_SUMMARY_KEYS, Page, SquareApiError, SquareObject

PAGE_SIZE = 100  # Square's default page for cash drawer lists is 200; smaller pages exercise cursors


def _read(path: Path, key: str) -> list[SquareObject]:
    items = json.loads(path.read_text(encoding="utf-8")).get(key, [])
    return [item for item in items if isinstance(item, dict)]


def _stamp(text: object) -> datetime | None:
    return datetime.fromisoformat(text) if isinstance(text, str) else None


class SimulatedSquareApi:
    """The simulator's Square API directory (``<world>/square/api``), loaded into memory once."""

    def __init__(self, api_dir: Path) -> None:
        if not api_dir.is_dir():
            raise FileNotFoundError(f"{api_dir} is not a simulator's square/api directory")
        self.orders: dict[str, SquareObject] = {}
        for page in sorted((api_dir / "orders").rglob("*.json")):
            self.orders.update((o["id"], o) for o in _read(page, "orders"))
        self.shifts: dict[str, list[SquareObject]] = {}
        for page in sorted((api_dir / "cash_drawer_shifts").rglob("*.json")):
            self.shifts.setdefault(page.parent.name, []).extend(_read(page, "cash_drawer_shifts"))
        self.events: dict[str, list[SquareObject]] = {
            page.stem: _read(page, "cash_drawer_shift_events")
            for page in sorted((api_dir / "cash_drawer_shift_events").glob("*.json"))
        }

    def get_order(self, location_id: str | None, order_id: str) -> SquareObject:
        try:
            return self.orders[order_id]
        except KeyError:
            raise SquareApiError(
                404, "NOT_FOUND", f"order {order_id} not found", path=f"/v2/orders/{order_id}"
            ) from None

    def batch_get_orders(self, location_id: str | None, order_ids: Sequence[str]) -> list[SquareObject]:
        return [self.orders[o] for o in order_ids if o in self.orders]

    def list_payments(self, begin: datetime, end: datetime, cursor: str | None = None) -> Page:
        return Page()  # arrive as webhooks (see the module docstring)

    def list_refunds(self, begin: datetime, end: datetime, cursor: str | None = None) -> Page:
        return Page()

    def search_orders(
        self, location_ids: Sequence[str], begin: datetime, end: datetime, cursor: str | None = None
    ) -> Page:
        return Page()

    def list_cash_drawer_shifts(
        self, location_id: str, begin: datetime, end: datetime, cursor: str | None = None
    ) -> Page:
        found = [
            {k: s[k] for k in SHIFT_SUMMARY_KEYS if k in s}
            for s in self.shifts.get(location_id, [])
            if (opened := _stamp(s.get("opened_at"))) is not None and begin <= opened < end
        ]
        return _page(found, cursor)

    def get_cash_drawer_shift(self, shift_id: str, location_id: str) -> SquareObject:
        for shift in self.shifts.get(location_id, []):
            if shift.get("id") == shift_id:
                return shift
        raise SquareApiError(404, "NOT_FOUND", f"cash drawer shift {shift_id} not found")

    def list_cash_drawer_shift_events(
        self, shift_id: str, location_id: str, cursor: str | None = None
    ) -> Page:
        return _page(self.events.get(shift_id, []), cursor)


def _page(items: list[SquareObject], cursor: str | None) -> Page:
    start = int(cursor) if cursor else 0
    end = start + PAGE_SIZE
    return Page(items=items[start:end], cursor=str(end) if end < len(items) else None)
