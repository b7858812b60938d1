"""The interim demo feed: official Square and NCR samples replayed as fresh, signed deliveries.

Each delivery is a real sample body with new ids, times and amounts, signed exactly as Square signs;
cash drawers come from Square's official API examples through the polling path, and Counterpoint
from NCR's Document sample and an export file through the batch path. The simulator (``canary
simulate``) replaces this with a whole merchant world when it is available.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

from core.adapters.square.api import Page, SquareApiError, SquareObject
from core.adapters.square.signature import sign_square_body
from core.demo.feed import Delivery, Feed, MerchantSpec
from core.tenancy import StoreSpec

LOCATION = "L88JQ3E6VG5VQ"
HOST = "https://demo.canary.local"


def _sample(name: str) -> Any:
    return json.loads(resources.files("core.demo.data").joinpath(name).read_text())


class SampleSquareApi:
    """Square's API examples behind the ``SquareApi`` protocol: drawers and orders, nothing else."""

    def __init__(self, orders: dict[str, SquareObject]) -> None:
        self._orders = orders
        self._shifts = _sample("ListCashDrawerShiftsResponse.json")["cash_drawer_shifts"]
        self._events = _sample("ListCashDrawerShiftEventsResponse.json")["cash_drawer_shift_events"]

    def get_order(self, location_id: str | None, order_id: str) -> SquareObject:
        if order_id not in self._orders:
            raise SquareApiError(
                404, "NOT_FOUND", f"order {order_id} not found", path=f"/v2/orders/{order_id}"
            )
        return self._orders[order_id]

    def batch_get_orders(self, location_id: str | None, order_ids: Sequence[str]) -> list[SquareObject]:
        return [self._orders[o] for o in order_ids if o in self._orders]

    def list_payments(self, begin: datetime, end: datetime, cursor: str | None = None) -> Page:
        return Page()

    def list_refunds(self, begin: datetime, end: datetime, cursor: str | None = None) -> Page:
        return Page()

    def search_orders(
        self, location_ids: Sequence[str], begin: datetime, end: datetime, cursor: str | None = None
    ) -> Page:
        return Page()

    def list_cash_drawer_shifts(
        self, location_id: str, begin: datetime, end: datetime, cursor: str | None = None
    ) -> Page:
        return Page(items=list(self._shifts))

    def get_cash_drawer_shift(self, shift_id: str, location_id: str) -> SquareObject:
        return next(s for s in self._shifts if s["id"] == shift_id)

    def list_cash_drawer_shift_events(
        self, shift_id: str, location_id: str, cursor: str | None = None
    ) -> Page:
        return Page(items=list(self._events))


def sample_feed(*, deliveries: int = 240, seed: int = 7) -> Feed:
    rng = random.Random(seed)
    merchant = MerchantSpec(
        merchant_id="m_demo_greenleaf",
        name="Greenleaf Garden Center (demo)",
        square_merchant_id="DEMO0SQUARE",
        notification_url=f"{HOST}/webhooks/square?merchant=m_demo_greenleaf",
        signature_key="demo-signature-key",
        stores=[
            StoreSpec(external_id=LOCATION, source="SQUARE", timezone="America/Chicago"),
            StoreSpec(external_id="20", source="COUNTERPOINT", timezone="America/Chicago"),
            StoreSpec(external_id="MAIN", source="COUNTERPOINT", timezone="America/Chicago"),
            StoreSpec(external_id="EAST", source="COUNTERPOINT", timezone="America/Chicago"),
        ],
    )
    start = datetime(2026, 4, 1, 14, tzinfo=UTC)
    orders: dict[str, SquareObject] = {}
    webhooks = []
    for n in range(deliveries):
        kind = rng.choices(["payment", "refund", "customer", "loyalty"], weights=[80, 6, 8, 6])[0]
        at = start + timedelta(minutes=n * 7 + rng.randint(0, 5))
        body = _event(kind, n, at, rng, orders)
        webhooks.append(_signed(merchant, json.dumps(body).encode()))
    for name in ("team_member.created", "device.created"):
        body = _sample(f"square.{name}.json")
        body["event_id"] = f"demo-{name}"
        webhooks.append(_signed(merchant, json.dumps(body).encode()))
    units = [
        (
            "demo-cp-document",
            resources.files("core.demo.data").joinpath("counterpoint.document.json").read_bytes(),
        )
    ]
    for number, line in enumerate(
        resources.files("core.demo.data").joinpath("counterpoint.transfers.jsonl").read_bytes().splitlines()
    ):
        if line.strip():
            units.append((f"demo-cp-transfer-{number}", line))
    return Feed(
        merchant=merchant,
        webhooks=webhooks,
        square_api=SampleSquareApi(orders),
        square_locations=[LOCATION],
        poll_begin=start - timedelta(days=400),
        poll_end=start + timedelta(days=30),
        counterpoint_units=units,
        description=f"official Square and NCR samples replayed as {len(webhooks)} fresh signed deliveries",
    )


def _event(kind: str, n: int, at: datetime, rng: random.Random, orders: dict[str, SquareObject]) -> Any:
    stamp = at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if kind == "payment":
        body = _sample("square.payment.updated.json")
        payment = body["data"]["object"]["payment"]
        amount = rng.randint(300, 25_000)
        payment.update(
            id=f"demo-pay-{n}",
            order_id=f"demo-order-{n}",
            created_at=stamp,
            updated_at=stamp,
            location_id=LOCATION,
            customer_id=f"demo-cust-{rng.randint(1, 40)}",
        )
        for key in ("amount_money", "total_money", "approved_money"):
            payment[key] = {"amount": amount, "currency": "USD"}
        payment["card_details"]["card"]["fingerprint"] = f"sq-fp-{rng.randint(1, 60)}"
        body["data"]["id"] = payment["id"]
        orders[payment["order_id"]] = _order(payment["order_id"], amount, stamp, payment["customer_id"])
    elif kind == "refund":
        body = _sample("square.refund.created.json")
        refund = body["data"]["object"]["refund"]
        original = next((o for o in reversed(orders.values()) if "returns" not in o), None)
        amount = rng.randint(100, 2_000)
        refund.update(
            id=f"demo-ref-{n}",
            created_at=stamp,
            updated_at=stamp,
            location_id=LOCATION,
            order_id=f"demo-return-{n}",
            payment_id=f"demo-pay-{original['id'].rsplit('-', 1)[1]}" if original else "demo-pay-0",
        )
        refund["amount_money"] = {"amount": amount, "currency": "USD"}
        body["data"]["id"] = refund["id"]
        orders[refund["order_id"]] = _return_order(refund["order_id"], original, amount, stamp)
    elif kind == "customer":
        body = _sample("square.customer.created.json")
        body["data"]["object"]["customer"].update(id=f"demo-cust-{n}", created_at=stamp, updated_at=stamp)
        body["data"]["id"] = f"demo-cust-{n}"
    else:
        body = _sample("square.loyalty.event.created.json")
        body["data"]["object"]["loyalty_event"].update(id=f"demo-loy-{n}", created_at=stamp)
    body["event_id"] = f"demo-event-{n}"
    body["created_at"] = stamp
    return body


def _order(order_id: str, amount: int, stamp: str, customer_id: str) -> SquareObject:
    return {
        "id": order_id,
        "location_id": LOCATION,
        "state": "COMPLETED",
        "version": 1,
        "created_at": stamp,
        "updated_at": stamp,
        "closed_at": stamp,
        "customer_id": customer_id,
        "line_items": [
            {
                "uid": f"{order_id}-1",
                "name": "Perennial flat",
                "quantity": "1",
                "base_price_money": {"amount": amount, "currency": "USD"},
                "gross_sales_money": {"amount": amount, "currency": "USD"},
                "total_discount_money": {"amount": 0, "currency": "USD"},
                "total_money": {"amount": amount, "currency": "USD"},
            }
        ],
        "total_money": {"amount": amount, "currency": "USD"},
    }


def _return_order(order_id: str, original: SquareObject | None, amount: int, stamp: str) -> SquareObject:
    """A return order, as Square records a refund: its ``returns`` name the sale being returned."""
    money = {"amount": amount, "currency": "USD"}
    source = original["id"] if original else None
    return {
        "id": order_id,
        "location_id": LOCATION,
        "state": "COMPLETED",
        "version": 1,
        "created_at": stamp,
        "updated_at": stamp,
        "closed_at": stamp,
        "returns": [
            {
                "uid": f"{order_id}-r",
                "source_order_id": source,
                "return_line_items": [
                    {
                        "uid": f"{order_id}-r1",
                        "source_line_item_uid": f"{source}-1" if source else None,
                        "name": "Perennial flat",
                        "quantity": "1",
                        "base_price_money": money,
                        "gross_return_money": money,
                        "total_money": money,
                    }
                ],
            }
        ],
        "return_amounts": {"total_money": money},
    }


def _signed(merchant: MerchantSpec, body: bytes) -> Delivery:
    signature = sign_square_body(body, merchant.signature_key, merchant.notification_url)
    return Delivery(
        path=merchant.notification_url.removeprefix(HOST),
        body=body,
        headers={"x-square-hmacsha256-signature": signature, "content-type": "application/json"},
    )
