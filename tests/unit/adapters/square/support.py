"""Shared helpers for the Square adapter tests: fixtures from tests/fixtures/square, a context with
the real keyed HMAC, and an order fetcher that serves given orders."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from core.adapters.square.api import SquareApiError
from core.adapters.square.parser import parse
from core.domain.parsing import Ignored, ParseContext, Parsed, ParseOutcome, RawEvent
from core.domain.records import Canonical
from core.security.crypto import contact_hmac

FIXTURES = Path(__file__).parents[3] / "fixtures" / "square"
API = FIXTURES / "api_responses"
PII_KEY = b"k" * 32
SAMPLE_NAMES = sorted(p.name.removesuffix(".json") for p in FIXTURES.glob("*.json"))

R = TypeVar("R", bound=Canonical)


def sample_bytes(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


def sample(name: str) -> dict[str, Any]:
    return json.loads(sample_bytes(name))  # type: ignore[no-any-return]


def api_response(name: str) -> dict[str, Any]:
    return json.loads((API / f"{name}.json").read_text())  # type: ignore[no-any-return]


def hmac_of(kind: str, value: str) -> str:
    return contact_hmac(PII_KEY, kind, value)


def context(fetch: Any = None, zones: Mapping[str, str] | None = None) -> ParseContext:
    def zone(location: str) -> str:
        if zones is None:
            return "UTC"
        return zones[location]  # KeyError for an unknown location, as the pipeline does

    return ParseContext(contact_hmac=hmac_of, fetch=fetch, location_timezone=zone)


def raw_event(raw: bytes, *, source_type: str = "WEBHOOK", seq: int = 7) -> RawEvent:
    return RawEvent(
        merchant_id="m_test",
        seq=seq,
        source="SQUARE",
        source_type=source_type,
        source_event_id="evt",
        event_type=None,
        raw=raw,
        received_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def run(raw: bytes | dict[str, Any], ctx: ParseContext | None = None, **kwargs: Any) -> ParseOutcome:
    body = raw if isinstance(raw, bytes) else json.dumps(raw).encode()
    return parse(raw_event(body, **kwargs), ctx or context())


def parsed(raw: bytes | dict[str, Any], ctx: ParseContext | None = None, **kwargs: Any) -> Parsed:
    outcome = run(raw, ctx, **kwargs)
    assert isinstance(outcome, Parsed), outcome
    return outcome


def ignored(raw: bytes | dict[str, Any], ctx: ParseContext | None = None) -> Ignored:
    outcome = run(raw, ctx)
    assert isinstance(outcome, Ignored), outcome
    return outcome


def of_type(outcome: Parsed, kind: type[R]) -> list[R]:
    return [record for record in outcome.records if type(record) is kind]


def one(outcome: Parsed, kind: type[R]) -> R:
    found = of_type(outcome, kind)
    assert len(found) == 1, f"expected one {kind.__name__}, got {len(found)}"
    return found[0]


def edited(name: str, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    body = copy.deepcopy(sample(name))
    change(body)
    return body


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


class FakeOrders:
    """An ``OrderLookup`` over a dict; an unknown id is Square's 404."""

    def __init__(self, *orders: dict[str, Any]) -> None:
        self.orders = {order["id"]: order for order in orders}
        self.calls: list[tuple[str | None, str]] = []

    def get_order(self, location_id: str | None, order_id: str) -> dict[str, Any]:
        self.calls.append((location_id, order_id))
        if order_id not in self.orders:
            raise SquareApiError(404, "NOT_FOUND", f"order {order_id} not found")
        return copy.deepcopy(self.orders[order_id])


def fields(record: Canonical) -> dict[str, Any]:
    """The fields the adapter set, with their values: a field-by-field check that a new, unset column
    in the shared model does not break, while any change in what the adapter writes does."""
    return {name: getattr(record, name) for name in record.model_fields_set}
