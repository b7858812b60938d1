"""What the simulator says Square sent: signed webhooks in the official envelope, objects the SDK's
models accept, and everything parsed by Canary's Square adapter."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from square.types.cash_drawer_shift import CashDrawerShift
from square.types.cash_drawer_shift_event import CashDrawerShiftEvent
from square.types.customer import Customer
from square.types.dispute import Dispute
from square.types.loyalty_account import LoyaltyAccount
from square.types.loyalty_event import LoyaltyEvent
from square.types.order import Order
from square.types.payment import Payment
from square.types.payment_refund import PaymentRefund
from square.types.payout import Payout
from square.types.team_member import TeamMember
from square.utils.webhooks_helper import verify_signature

from core.adapters.square.parser import parse
from core.domain.parsing import Ignored, Parsed
from tests.integration.simulate.support import FIXTURES, contexts, jsonl, raw_event

REQUIRED_TYPES = {
    "payment.created",
    "payment.updated",
    "refund.created",
    "refund.updated",
    "order.updated",
    "loyalty.account.created",
    "loyalty.event.created",
    "customer.created",
    "customer.updated",
    "device.created",
    "team_member.created",
    "payout.paid",
    "dispute.created",
}
MODELS: dict[str, type[BaseModel]] = {
    "payment": Payment,
    "refund": PaymentRefund,
    "customer": Customer,
    "loyalty_account": LoyaltyAccount,
    "loyalty_event": LoyaltyEvent,
    "team_member": TeamMember,
    "payout": Payout,
    "dispute": Dispute,
}


def _deliveries(root: Path) -> list[dict[str, Any]]:
    return jsonl(root / "square/webhooks.jsonl")


def _sample(event_type: str) -> dict[str, Any]:
    return json.loads((FIXTURES / "square" / f"{event_type}.json").read_text())  # type: ignore[no-any-return]


def test_every_webhook_passes_squares_sdk_signature_check(written: Path) -> None:
    config = json.loads((written / "square/config.json").read_text())
    deliveries = _deliveries(written)
    assert len(deliveries) > 1000
    for delivery in deliveries:
        assert delivery["url"] == config["notification_url"]
        assert verify_signature(
            request_body=delivery["body"],
            signature_header=delivery["headers"]["x-square-hmacsha256-signature"],
            signature_key=config["signature_key"],
            notification_url=config["notification_url"],
        )


def test_every_webhook_has_the_envelope_of_squares_official_sample(written: Path) -> None:
    seen = set()
    for delivery in _deliveries(written):
        body = json.loads(delivery["body"])
        sample = _sample(body["type"])
        seen.add(body["type"])
        assert set(body) == set(sample), body["type"]
        assert set(body["data"]) == set(sample["data"]), body["type"]
        assert set(body["data"]["object"]) == set(sample["data"]["object"]), body["type"]
        assert body["data"]["type"] == sample["data"]["type"]
        assert list(body)[:2] == ["merchant_id", "location_id" if "location_id" in body else "type"]
    assert seen >= REQUIRED_TYPES


def test_webhook_objects_validate_against_the_sdk_models_and_use_only_known_fields(written: Path) -> None:
    """Known: a field of the SDK model, or one Square's official example sends (refund.version)."""
    for delivery in _deliveries(written):
        body = json.loads(delivery["body"])
        ((key, obj),) = body["data"]["object"].items()
        model = MODELS.get(key)
        if model is None:
            continue
        model.model_validate(obj)
        known = set(model.model_fields) | set(_sample(body["type"])["data"]["object"][key])
        assert set(obj) <= known, (key, set(obj) - known)


def test_event_ids_are_unique_and_deliveries_arrive_in_time_order(written: Path) -> None:
    deliveries = _deliveries(written)
    ids = Counter(json.loads(d["body"])["event_id"] for d in deliveries)
    assert ids.most_common(1)[0][1] == 1
    sent = [d["headers"]["square-initial-delivery-timestamp"] for d in deliveries]
    assert sent == sorted(sent)


@pytest.mark.parametrize(
    ("folder", "key", "model"),
    [
        ("orders", "orders", Order),
        ("payments", "payments", Payment),
        ("refunds", "refunds", PaymentRefund),
        ("cash_drawer_shifts", "cash_drawer_shifts", CashDrawerShift),
        ("cash_drawer_shift_events", "cash_drawer_shift_events", CashDrawerShiftEvent),
    ],
)
def test_api_pages_hold_objects_the_sdk_models_accept(
    written: Path, folder: str, key: str, model: type[BaseModel]
) -> None:
    pages = sorted((written / "square/api" / folder).rglob("*.json"))
    assert pages
    for page in pages:
        body = json.loads(page.read_text())
        assert list(body) == [key]
        for obj in body[key]:
            model.model_validate(obj)
            assert set(obj) <= set(model.model_fields), set(obj) - set(model.model_fields)


def test_every_webhook_and_polled_drawer_shift_parses_with_the_square_adapter(written: Path) -> None:
    square, _ = contexts(written)
    outcomes: Counter[str] = Counter()
    for delivery in _deliveries(written):
        kind = json.loads(delivery["body"])["type"]
        outcome = parse(raw_event(delivery["body"].encode(), "SQUARE", "WEBHOOK"), square)
        if isinstance(outcome, Ignored):
            assert kind == "order.updated", outcome.reason
            assert "return order" in outcome.reason
        else:
            assert isinstance(outcome, Parsed), kind
            assert outcome.records, kind
        outcomes[type(outcome).__name__] += 1
    for document in jsonl(written / "square/polled/cash_drawer_shifts.jsonl"):
        outcome = parse(raw_event(json.dumps(document).encode(), "SQUARE", "POLLING"), square)
        assert isinstance(outcome, Parsed)
        assert outcome.events[0].kind == "drawer_shift"
        outcomes["shift"] += 1
    assert outcomes["Parsed"] > 1000
    assert outcomes["shift"] > 50
