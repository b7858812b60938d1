"""The benchmark's traffic: signed Square webhooks built from the official samples.

``samples/`` holds three of Square's official example payloads, unchanged (source:
square/connect-api-specification @ 5733f66, Release 2025-08-20, ``api.json``
``#/components/schemas/<Event>/example``; the same files as ``tests/fixtures/square``, copied here
because the benchmark ships with the application and may not read ``tests/``).

A *sale* is ``payment.created`` then ``payment.updated`` for one payment, and every tenth sale is
later refunded (``refund.created`` pointing at it): about 2.1 deliveries per sale, the shape of a
card-present store. Every delivery gets a fresh event id and every sale fresh payment, order and
refund ids, so canonical upserts land on distinct rows as they would in a real store, rather than
all on the sample's one payment.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import secrets
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from core.bootstrap import Container
from core.ingest.inbox import IncomingEvent
from core.tenancy import StoreSpec, onboard_merchant

SAMPLES = Path(__file__).parent / "samples"
PUBLIC_BASE = "https://canary.example.com"  # the notification URL Square signs; never contacted
LOCATION = "S8GWD5R9QB376"  # the samples' location id, onboarded for every benchmark merchant
REFUND_EVERY = 10


@dataclass(frozen=True)
class BenchMerchant:
    merchant_id: str
    square_merchant_id: str
    notification_url: str
    signature_key: str

    @property
    def path(self) -> str:
        return self.notification_url.removeprefix(PUBLIC_BASE)


@dataclass(frozen=True)
class Delivery:
    merchant: BenchMerchant
    event_type: str
    event_id: str
    body: bytes
    signature: str


@cache
def _sample(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / f"{name}.json").read_text())  # type: ignore[no-any-return]


def sign(key: str, notification_url: str, body: bytes) -> str:
    """Square's ``x-square-hmacsha256-signature``: base64 HMAC-SHA256 over the URL then the body."""
    digest = hmac.new(key.encode(), notification_url.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def onboard(container: Container, count: int, *, tag: str = "bench") -> list[BenchMerchant]:
    merchants = []
    for _ in range(count):
        merchant_id = f"m_{tag}_{uuid.uuid4().hex[:10]}"
        merchant = BenchMerchant(
            merchant_id=merchant_id,
            square_merchant_id=f"SQ{uuid.uuid4().hex[:12].upper()}",
            notification_url=f"{PUBLIC_BASE}/webhooks/square?merchant={merchant_id}",
            signature_key=secrets.token_urlsafe(24),
        )
        onboard_merchant(
            container.db,
            container.keyring,
            merchant_id=merchant_id,
            name=f"Bench store {merchant_id[-4:]}",
            square_merchant_id=merchant.square_merchant_id,
            square_notification_url=merchant.notification_url,
            square_signature_key=merchant.signature_key,
            stores=[StoreSpec(external_id=LOCATION, source="SQUARE", timezone="America/Chicago")],
        )
        merchants.append(merchant)
    return merchants


def _event(name: str, merchant: BenchMerchant, ids: dict[str, str]) -> dict[str, Any]:
    body = copy.deepcopy(_sample(name))
    body["event_id"] = str(uuid.uuid4())
    body["merchant_id"] = merchant.square_merchant_id
    obj = body["data"]["object"]
    if "payment" in obj:
        payment = obj["payment"]
        payment["id"] = body["data"]["id"] = ids["payment"]
        payment["order_id"] = ids["order"]
        payment["receipt_number"] = ids["payment"][:4]
        payment.pop("receipt_url", None)
    else:
        refund = obj["refund"]
        refund["id"] = body["data"]["id"] = f"{ids['payment']}_{ids['refund']}"
        refund["payment_id"] = ids["payment"]
        refund["order_id"] = ids["refund_order"]
        refund["location_id"] = LOCATION
    return body


def deliveries(merchants: list[BenchMerchant], count: int) -> list[Delivery]:
    """``count`` deliveries, sales spread round-robin over the merchants, refunds after their sale."""
    out: list[Delivery] = []
    refunds: list[tuple[BenchMerchant, dict[str, str]]] = []
    sale = 0
    while len(out) < count:
        merchant = merchants[sale % len(merchants)]
        ids = {key: uuid.uuid4().hex[:24] for key in ("payment", "order", "refund", "refund_order")}
        names = ["payment.created", "payment.updated"]
        if sale % REFUND_EVERY == REFUND_EVERY - 1:
            refunds.append((merchant, ids))
        for name in names:
            out.append(_delivery(name, merchant, ids))
        if len(refunds) > 2:  # a refund comes a while after its sale
            out.append(_delivery("refund.created", *refunds.pop(0)))
        sale += 1
    return out[:count]


def _delivery(name: str, merchant: BenchMerchant, ids: dict[str, str]) -> Delivery:
    event = _event(name, merchant, ids)
    body = json.dumps(event, separators=(",", ":")).encode()
    return Delivery(
        merchant, name, event["event_id"], body, sign(merchant.signature_key, merchant.notification_url, body)
    )


def incoming(delivery: Delivery) -> IncomingEvent:
    """The same delivery as the batch path sees it: already routed and verified."""
    return IncomingEvent(
        merchant_id=delivery.merchant.merchant_id,
        source="SQUARE",
        source_type="BATCH",
        raw=delivery.body,
        source_event_id=delivery.event_id,
        event_type=delivery.event_type,
    )
