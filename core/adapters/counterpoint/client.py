"""The NCR Counterpoint REST API, read-only: the documents, stores, categories and customers Canary
polls. Every method returns the response body *exactly as received*, because those bytes are what
gets sealed; the parser reads them later.

Auth (NCR APIGuide Basics/Requests.md): ``Authorization: Basic base64("<CompanyAlias>.<User>:<pwd>")``
plus an ``APIKey`` header. Errors come back as ``{"ErrorCode": ..., "Message": ...}``; any status
outside 2xx, or a body whose ``ErrorCode`` is not ``SUCCESS``, raises ``CounterpointApiError``. A 2xx
body that is not JSON is returned as is: it is sealed and fails at parse, visibly.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import quote

import httpx

from core.domain import bounded_json


class CounterpointApiError(Exception):
    def __init__(self, error_code: str, message: str, *, status_code: int | None = None) -> None:
        super().__init__(f"{error_code}: {message}" + (f" (HTTP {status_code})" if status_code else ""))
        self.error_code, self.message, self.status_code = error_code, message, status_code


class CounterpointApi(Protocol):
    def get_document(self, doc_id: str) -> bytes: ...

    def get_store(self, store_id: str) -> bytes: ...

    def get_item_category(self, category_code: str) -> bytes: ...

    def get_item_categories(self) -> bytes: ...

    def get_customer(self, customer_no: str) -> bytes: ...

    def get_customers_page(
        self, page: int, rows: int, *, start: datetime | None = None, end: datetime | None = None
    ) -> bytes:
        """One page (1-based) of GET /Customers, optionally filtered on RS_UTC_DT (UTC)."""
        ...


def api_time(moment: datetime) -> str:
    """NCR's date format without offset (``YYYY-MM-DDTHH:MM:SS``): the RS_UTC_DT filter is in UTC."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware time, it is sent as UTC")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


class CounterpointHttpApi:
    """``http`` is the caller's client (timeouts, TLS verification for an on-premise certificate,
    retries); this class only builds requests and classifies answers."""

    def __init__(
        self, base_url: str, company_alias: str, user: str, password: str, api_key: str, http: httpx.Client
    ) -> None:
        credentials = f"{company_alias}.{user}:{password}".encode()
        self._base = base_url.rstrip("/")
        self._headers = {
            "Authorization": "Basic " + base64.b64encode(credentials).decode("ascii"),
            "APIKey": api_key,
            "Accept": "application/json",
        }
        self._http = http

    def get_document(self, doc_id: str) -> bytes:
        return self._get(f"/Document/{_segment(doc_id)}")

    def get_store(self, store_id: str) -> bytes:
        return self._get(f"/Store/{_segment(store_id)}")

    def get_item_category(self, category_code: str) -> bytes:
        return self._get(f"/ItemCategory/{_segment(category_code)}")

    def get_item_categories(self) -> bytes:
        return self._get("/ItemCategories")

    def get_customer(self, customer_no: str) -> bytes:
        return self._get(f"/Customer/{_segment(customer_no)}")

    def get_customers_page(
        self, page: int, rows: int, *, start: datetime | None = None, end: datetime | None = None
    ) -> bytes:
        if page < 1 or rows < 1:
            raise ValueError("Page and Rows start at 1")
        params = {"Page": str(page), "Rows": str(rows)}
        if start is not None:
            params["StartDate"] = api_time(start)
        if end is not None:
            params["EndDate"] = api_time(end)
        return self._get("/Customers", params)

    def _get(self, path: str, params: dict[str, str] | None = None) -> bytes:
        response = self._http.get(self._base + path, headers=self._headers, params=params)
        body = response.content
        code, message = _error_fields(body)
        if not response.is_success:
            raise CounterpointApiError(
                code or f"HTTP_{response.status_code}",
                message or response.reason_phrase,
                status_code=response.status_code,
            )
        if code is not None and code != "SUCCESS":
            raise CounterpointApiError(code, message or "no message", status_code=response.status_code)
        return body


def _segment(value: str) -> str:
    if not value:
        raise ValueError("an empty id would address the collection, not a record")
    return quote(value, safe="")


def _error_fields(body: bytes) -> tuple[str | None, str | None]:
    try:
        parsed = bounded_json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None, None
    if not isinstance(parsed, dict):
        return None, None
    code, message = parsed.get("ErrorCode"), parsed.get("Message")
    return (code if isinstance(code, str) else None), (message if isinstance(message, str) else None)
