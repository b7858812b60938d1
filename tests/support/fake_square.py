"""A small fake of Square's REST API for the calls ``SquareHttpApi`` makes, serving the official
response examples (tests/fixtures/square/api_responses) or lists a test supplies.

It behaves like Square where the client depends on it: bearer auth (401 with Square's error shape),
cursor pagination (``page_size`` items a page, opaque cursors, 400 on a bad one), ``[begin_time,
end_time)`` windows on ``created_at`` (a drawer shift, which has none, on ``opened_at``), 404 for an
unknown shift. Every request is recorded for assertions. Use it synchronously through Starlette's
TestClient, which is an ``httpx.Client``::

    fake = FakeSquare(payments=[...])
    api = SquareHttpApi("http://testserver", fake.token, "2025-08-20", http=TestClient(fake.app))
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core.adapters.square.api import SHIFT_SUMMARY_KEYS

API_RESPONSES = Path(__file__).parents[1] / "fixtures" / "square" / "api_responses"
DEFAULT_LOCATION = "L88917AVBK2S5"  # where the official payment and refund examples happened

Obj = dict[str, Any]


def example(name: str) -> Obj:
    return json.loads((API_RESPONSES / f"{name}.json").read_text())  # type: ignore[no-any-return]


def _error(status: int, category: str, code: str, detail: str) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"category": category, "code": code, "detail": detail}]}, status_code=status
    )


def _stamp(obj: Obj) -> datetime | None:
    text = obj.get("created_at") or obj.get("opened_at")
    return datetime.fromisoformat(text) if isinstance(text, str) else None


def _in_window(obj: Obj, begin: str | None, end: str | None) -> bool:
    stamp = _stamp(obj)
    if stamp is None:
        return begin is None and end is None
    if begin is not None and stamp < datetime.fromisoformat(begin):
        return False
    return end is None or stamp < datetime.fromisoformat(end)


@dataclass
class FakeSquare:
    payments: list[Obj] = field(default_factory=lambda: example("ListPaymentsResponse")["payments"])
    refunds: list[Obj] = field(default_factory=lambda: example("ListPaymentRefundsResponse")["refunds"])
    orders: list[Obj] = field(
        default_factory=lambda: [
            example("RetrieveOrderResponse")["order"],
            *example("BatchRetrieveOrdersResponse")["orders"],
        ]
    )
    shifts: Mapping[str, Sequence[Obj]] = field(
        default_factory=lambda: {
            DEFAULT_LOCATION: [example("RetrieveCashDrawerShiftResponse")["cash_drawer_shift"]]
        }
    )
    shift_events: Mapping[str, Sequence[Obj]] = field(
        default_factory=lambda: {
            "DCC99978-09A6-4926-849F-300BE9C5793A": example("ListCashDrawerShiftEventsResponse")[
                "cash_drawer_shift_events"
            ]
        }
    )
    page_size: int = 2
    token: str = "fake-square-token"
    requests: list[Obj] = field(default_factory=list)

    @property
    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v2/payments", self._payments, methods=["GET"]),
                Route("/v2/refunds", self._refunds, methods=["GET"]),
                Route("/v2/orders/batch-retrieve", self._batch_orders, methods=["POST"]),
                Route("/v2/orders/search", self._search_orders, methods=["POST"]),
                Route("/v2/cash-drawers/shifts", self._shifts, methods=["GET"]),
                Route("/v2/cash-drawers/shifts/{shift_id}", self._shift, methods=["GET"]),
                Route("/v2/cash-drawers/shifts/{shift_id}/events", self._events, methods=["GET"]),
            ]
        )

    async def _admit(self, request: Request) -> tuple[Obj, JSONResponse | None]:
        body = json.loads(await request.body() or b"{}")
        self.requests.append(
            {
                "method": request.method,
                "path": request.url.path,
                "params": dict(request.query_params),
                "headers": dict(request.headers),
                "body": body,
            }
        )
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return body, _error(
                401, "AUTHENTICATION_ERROR", "UNAUTHORIZED", "This request could not be authorized."
            )
        return body, None

    def _page(self, key: str, items: Sequence[Obj], cursor: str | None) -> JSONResponse:
        start = 0
        if cursor:
            if not cursor.startswith("fake-cursor-") or not cursor[12:].isdigit():
                return _error(
                    400, "INVALID_REQUEST_ERROR", "INVALID_CURSOR", f"cursor {cursor!r} is not valid"
                )
            start = int(cursor[12:])
        chunk = [copy.deepcopy(item) for item in items[start : start + self.page_size]]
        payload: Obj = {key: chunk} if chunk else {}
        if start + self.page_size < len(items):
            payload["cursor"] = f"fake-cursor-{start + self.page_size}"
        return JSONResponse(payload)

    def _windowed(self, request: Request, items: Sequence[Obj]) -> list[Obj]:
        begin, end = request.query_params.get("begin_time"), request.query_params.get("end_time")
        return [item for item in items if _in_window(item, begin, end)]

    async def _payments(self, request: Request) -> JSONResponse:
        _, denied = await self._admit(request)
        return denied or self._page(
            "payments", self._windowed(request, self.payments), request.query_params.get("cursor")
        )

    async def _refunds(self, request: Request) -> JSONResponse:
        _, denied = await self._admit(request)
        return denied or self._page(
            "refunds", self._windowed(request, self.refunds), request.query_params.get("cursor")
        )

    async def _batch_orders(self, request: Request) -> JSONResponse:
        body, denied = await self._admit(request)
        if denied:
            return denied
        wanted = set(body.get("order_ids") or [])
        return JSONResponse({"orders": [copy.deepcopy(o) for o in self.orders if o.get("id") in wanted]})

    async def _search_orders(self, request: Request) -> JSONResponse:
        body, denied = await self._admit(request)
        if denied:
            return denied
        window = body.get("query", {}).get("filter", {}).get("date_time_filter", {}).get("created_at", {})
        locations = set(body.get("location_ids") or [])
        found = [
            o
            for o in self.orders
            if o.get("location_id") in locations
            and _in_window(o, window.get("start_at"), window.get("end_at"))
        ]
        return self._page("orders", found, body.get("cursor"))

    async def _shifts(self, request: Request) -> JSONResponse:
        _, denied = await self._admit(request)
        if denied:
            return denied
        shifts = self.shifts.get(request.query_params.get("location_id", ""), [])
        summaries = [{k: s[k] for k in SHIFT_SUMMARY_KEYS if k in s} for s in self._windowed(request, shifts)]
        return self._page("cash_drawer_shifts", summaries, request.query_params.get("cursor"))

    async def _shift(self, request: Request) -> JSONResponse:
        _, denied = await self._admit(request)
        if denied:
            return denied
        shift_id = request.path_params["shift_id"]
        for shift in self.shifts.get(request.query_params.get("location_id", ""), []):
            if shift.get("id") == shift_id:
                return JSONResponse({"cash_drawer_shift": copy.deepcopy(shift)})
        return _error(404, "INVALID_REQUEST_ERROR", "NOT_FOUND", f"cash drawer shift {shift_id} not found")

    async def _events(self, request: Request) -> JSONResponse:
        _, denied = await self._admit(request)
        if denied:
            return denied
        if not request.query_params.get("location_id"):
            return _error(
                400, "INVALID_REQUEST_ERROR", "MISSING_REQUIRED_PARAMETER", "location_id is required"
            )
        events = self.shift_events.get(request.path_params["shift_id"], [])
        return self._page("cash_drawer_shift_events", events, request.query_params.get("cursor"))
