"""``SquareHttpApi``: the ``SquareApi`` port over Square's REST API with httpx.

Every call sends the bearer token and pins ``Square-Version`` (payload shapes follow the version,
notes §1.5, so Canary asks for the one it was built against). Non-2xx answers, timeouts and
transport failures all become ``SquareApiError`` with the HTTP status and Square's own
``errors[0].code`` / ``errors[0].detail``; ``retryable`` tells a poller whether to try again later.
Timeouts live on the ``httpx.Client`` (``connect`` builds one), not per request, so tests can pass
Starlette's ``TestClient`` unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from core.adapters.square.api import Page, SquareApiError, SquareObject

PRODUCTION_URL = "https://connect.squareup.com"
SANDBOX_URL = "https://connect.squareupsandbox.com"


def rfc3339(stamp: datetime) -> str:
    if stamp.tzinfo is None:
        raise ValueError("naive datetime: Square windows need an aware time")
    return stamp.astimezone(UTC).isoformat().replace("+00:00", "Z")


class SquareHttpApi:
    def __init__(self, base_url: str, access_token: str, api_version: str, http: httpx.Client) -> None:
        self._base = base_url.rstrip("/")
        self._headers = {
            "Authorization": f"Bearer {access_token}",
            "Square-Version": api_version,
            "Accept": "application/json",
        }
        self._http = http

    @classmethod
    def connect(
        cls, access_token: str, api_version: str, *, base_url: str = PRODUCTION_URL, timeout: float = 15.0
    ) -> SquareHttpApi:
        """A client with its own connection pool and timeouts (connect 5 s; read/write ``timeout``)."""
        http = httpx.Client(timeout=httpx.Timeout(timeout, connect=5.0))
        return cls(base_url, access_token, api_version, http)

    def close(self) -> None:
        self._http.close()

    def get_order(self, location_id: str | None, order_id: str) -> SquareObject:
        orders = self.batch_get_orders(location_id, [order_id])
        for order in orders:
            if order.get("id") == order_id:
                return order
        raise SquareApiError(
            404, "NOT_FOUND", f"order {order_id} not found", path="/v2/orders/batch-retrieve"
        )

    def batch_get_orders(self, location_id: str | None, order_ids: Sequence[str]) -> list[SquareObject]:
        body: dict[str, Any] = {"order_ids": list(order_ids)}
        if location_id:
            body["location_id"] = location_id
        return self._page("POST", "/v2/orders/batch-retrieve", "orders", body=body).items

    def list_payments(self, begin: datetime, end: datetime, cursor: str | None = None) -> Page:
        return self._page("GET", "/v2/payments", "payments", params=self._window(begin, end, cursor))

    def list_refunds(self, begin: datetime, end: datetime, cursor: str | None = None) -> Page:
        return self._page("GET", "/v2/refunds", "refunds", params=self._window(begin, end, cursor))

    def search_orders(
        self, location_ids: Sequence[str], begin: datetime, end: datetime, cursor: str | None = None
    ) -> Page:
        body: dict[str, Any] = {
            "location_ids": list(location_ids),
            "return_entries": False,
            "query": {
                "filter": {
                    "date_time_filter": {"created_at": {"start_at": rfc3339(begin), "end_at": rfc3339(end)}}
                },
                # Square requires the sort field to match the date filter's field.
                "sort": {"sort_field": "CREATED_AT", "sort_order": "ASC"},
            },
        }
        if cursor:
            body["cursor"] = cursor
        return self._page("POST", "/v2/orders/search", "orders", body=body)

    def list_cash_drawer_shifts(
        self, location_id: str, begin: datetime, end: datetime, cursor: str | None = None
    ) -> Page:
        params = {"location_id": location_id, **self._window(begin, end, cursor)}
        return self._page("GET", "/v2/cash-drawers/shifts", "cash_drawer_shifts", params=params)

    def get_cash_drawer_shift(self, shift_id: str, location_id: str) -> SquareObject:
        path = f"/v2/cash-drawers/shifts/{quote(shift_id, safe='')}"
        payload = self._call("GET", path, params={"location_id": location_id})
        shift = payload.get("cash_drawer_shift")
        if not isinstance(shift, dict):
            raise SquareApiError(200, "BAD_RESPONSE", "no cash_drawer_shift object", path=path)
        return shift

    def list_cash_drawer_shift_events(
        self, shift_id: str, location_id: str, cursor: str | None = None
    ) -> Page:
        path = f"/v2/cash-drawers/shifts/{quote(shift_id, safe='')}/events"
        params = {"location_id": location_id, **({"cursor": cursor} if cursor else {})}
        return self._page("GET", path, "cash_drawer_shift_events", params=params)

    @staticmethod
    def _window(begin: datetime, end: datetime, cursor: str | None) -> dict[str, str]:
        params = {"begin_time": rfc3339(begin), "end_time": rfc3339(end), "sort_order": "ASC"}
        return {**params, "cursor": cursor} if cursor else params

    def _page(
        self,
        method: str,
        path: str,
        key: str,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> Page:
        payload = self._call(method, path, params=params, body=body)
        items = payload.get(key, [])  # Square omits an empty list entirely
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise SquareApiError(200, "BAD_RESPONSE", f"{key} is not a list of objects", path=path)
        cursor = payload.get("cursor")
        return Page(items=items, cursor=cursor if isinstance(cursor, str) and cursor else None)

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        try:
            response = self._http.request(
                method, self._base + path, params=params, json=body, headers=self._headers
            )
        except httpx.TimeoutException as exc:
            raise SquareApiError(None, "TIMEOUT", str(exc) or type(exc).__name__, path=path) from exc
        except httpx.HTTPError as exc:
            raise SquareApiError(None, "NETWORK_ERROR", str(exc) or type(exc).__name__, path=path) from exc
        if not response.is_success:
            raise _error(response, path)
        try:
            payload = response.json()
        except ValueError:
            raise SquareApiError(
                response.status_code, "BAD_RESPONSE", "body is not JSON", path=path
            ) from None
        if not isinstance(payload, dict):
            raise SquareApiError(response.status_code, "BAD_RESPONSE", "body is not a JSON object", path=path)
        return payload


def _error(response: httpx.Response, path: str) -> SquareApiError:
    """Square's error body is ``{"errors": [{"category", "code", "detail", "field"}]}``; anything else
    is reported by its first 200 characters."""
    try:
        payload = response.json()
    except ValueError:
        payload = None
    errors = payload.get("errors") if isinstance(payload, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        code, detail = first.get("code"), first.get("detail")
        return SquareApiError(
            response.status_code,
            code if isinstance(code, str) else None,
            detail if isinstance(detail, str) else None,
            path=path,
        )
    return SquareApiError(
        response.status_code, None, response.text[:200] or response.reason_phrase, path=path
    )
