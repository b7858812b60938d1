"""A fake NCR Counterpoint API (the read endpoints Canary polls), serving the apiguide samples.

It checks what the real server checks — Basic ``<CompanyAlias>.<User>:<password>`` and the ``APIKey``
header — and implements /Customers paging (``Page`` + ``Rows``, 1-based, both or neither) and the
``StartDate``/``EndDate`` filter on RS_UTC_DT. Whether NCR's bounds are inclusive is not documented;
the fake uses a half-open window [StartDate, EndDate), and the poller does not depend on either.
Use it with ``starlette.testclient.TestClient(fake.app())``, which is a synchronous httpx.Client.
"""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

SAMPLES = Path(__file__).parents[1] / "fixtures" / "counterpoint" / "apiguide"


def sample(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / name).read_text())  # type: ignore[no-any-return]


@dataclass
class FakeCounterpoint:
    company_alias: str = "QATestGolf"
    user: str = "MGR"
    password: str = "password1"
    api_key: str = "test-api-key"
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    stores: dict[str, dict[str, Any]] = field(default_factory=dict)
    categories: dict[str, dict[str, Any]] = field(default_factory=dict)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)  # "GET /path?query", in order

    @classmethod
    def from_samples(cls) -> FakeCounterpoint:
        fake = cls()
        document = sample("GET_Document.response1.json")["PS_DOC_HDR"]
        fake.documents[str(document["DOC_ID"])] = document
        store = sample("GET_Store.response1.json")["PS_STR"]
        fake.stores[store["STR_ID"]] = store
        for category in sample("GET_ItemCategories.response1.json")["ItemCategories"]:
            fake.categories[category["CATEG_COD"]] = category
        for name, key in (
            ("GET_Customers.response1.json", "Customers"),
            ("GET_Customers_EC.response1.json", "AR_CUST"),
        ):
            for customer in sample(name)[key]:
                fake.customers[customer["CUST_NO"]] = customer
        return fake

    def add_customer(self, number: str, rs_utc_dt: str, **fields: Any) -> None:
        template = copy.deepcopy(next(iter(self.customers.values()), {}))
        self.customers[number] = {**template, **fields, "CUST_NO": number, "RS_UTC_DT": rs_utc_dt}

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/Document/{key}", self._one(self.documents, "PS_DOC_HDR", "Document")),
                Route("/Store/{key}", self._one(self.stores, "PS_STR", "Store")),
                Route("/ItemCategory/{key}", self._one(self.categories, "Category", "Category")),
                Route("/ItemCategories", self._item_categories),
                Route("/Customer/{key}", self._one(self.customers, "AR_CUST", "Customer")),
                Route("/Customers", self._customers),
            ]
        )

    def _denied(self, request: Request) -> Response | None:
        query = f"?{request.url.query}" if request.url.query else ""
        self.requests.append(f"{request.method} {request.url.path}{query}")
        expected = base64.b64encode(f"{self.company_alias}.{self.user}:{self.password}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return Response("Unauthorized", status_code=401)
        if request.headers.get("apikey") != self.api_key:
            return _json({"ErrorCode": "ERROR_INVALID_APIKEY", "Message": "Invalid APIKey"}, 403)
        return None

    def _one(self, table: dict[str, dict[str, Any]], key: str, noun: str) -> Any:
        async def endpoint(request: Request) -> Response:
            if (denied := self._denied(request)) is not None:
                return denied
            record = table.get(request.path_params["key"])
            if record is None:
                message = f"{noun} {request.path_params['key']} not found"
                return _json({"ErrorCode": "ERROR_RECORD_NOT_FOUND", "Message": message}, 404)
            return _json({key: record, "ErrorCode": "SUCCESS"})

        return endpoint

    async def _item_categories(self, request: Request) -> Response:
        if (denied := self._denied(request)) is not None:
            return denied
        return _json({"ItemCategories": list(self.categories.values()), "ErrorCode": "SUCCESS"})

    async def _customers(self, request: Request) -> Response:
        if (denied := self._denied(request)) is not None:
            return denied
        params = request.query_params
        start, end = _moment(params.get("StartDate")), _moment(params.get("EndDate"))
        if start and end and start >= end:
            return _json(
                {"ErrorCode": "ERROR_MISSING_REQUIRED_DATA", "Message": "StartDate must be before EndDate"},
                400,
            )
        rows = [
            c
            for _, c in sorted(self.customers.items())
            if (start is None or _moment(c["RS_UTC_DT"]) >= start)
            and (end is None or _moment(c["RS_UTC_DT"]) < end)  # type: ignore[operator]
        ]
        if "Page" in params and "Rows" in params:
            page, size = int(params["Page"]), int(params["Rows"])
            rows = rows[(page - 1) * size : page * size]
        return _json({"Customers": rows, "ErrorCode": "SUCCESS"})


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(body, indent=2).encode(), status_code=status, media_type="application/json")
