"""Typed reads from a Square JSON object, each failure a ``ParseError`` naming the dotted field.

Square objects are read as plain dicts, never through the SDK's strict models: the official examples
disagree with the spec in places (docs/square.md), and a live payload one API version ahead
must still parse. So unknown keys are ignored, and each read accepts the shapes Square is known to
send: Money as ``{"amount", "currency"}`` or, in the payout examples, ``{"amount", "currency_code"}``;
quantities as decimal strings; timestamps as RFC 3339 with up to nanosecond precision. What is
wrong is refused rather than read as zero: ``"amount": "abc"`` is an error, not a free sale.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from core.domain.parsing import ParseError

_WHOLE = re.compile(r"-?\d+")
_INT64 = 2**63 - 1  # what a BIGINT column holds; a larger "amount" is corrupt, not a big sale


@dataclass(frozen=True)
class Money:
    cents: int
    currency: str | None


class Obj:
    """One vendor object and its dotted path (``data.object.payment``) for error messages."""

    def __init__(self, data: Mapping[str, Any], path: str) -> None:
        self.data, self.path = data, path

    @classmethod
    def of(cls, value: Any, path: str) -> Obj:
        if not isinstance(value, Mapping):
            what = "missing" if value is None else f"not an object ({type(value).__name__})"
            raise ParseError(what, field=path)
        return cls(value, path)

    def field(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def text(self, key: str) -> str | None:
        """A string; empty strings count as absent (Square sends ``""`` for unknown team members)."""
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise ParseError(f"expected text, got {type(value).__name__}", field=self.field(key))
        return value.strip() or None

    def require_text(self, key: str) -> str:
        value = self.text(key)
        if value is None:
            raise ParseError("missing", field=self.field(key))
        return value

    def integer(self, key: str) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        whole = (
            (isinstance(value, int) and not isinstance(value, bool))
            or (isinstance(value, float) and value.is_integer())
            or (isinstance(value, str) and _WHOLE.fullmatch(value.strip()) is not None)
        )
        if not whole:
            raise ParseError(f"not a whole number: {value!r}", field=self.field(key))
        number = int(value)
        if abs(number) > _INT64:
            raise ParseError(f"out of range: {value!r}", field=self.field(key))
        return number

    def decimal(self, key: str) -> float | None:
        """A decimal string such as a line quantity (``"2"``, ``"0.75"``)."""
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ParseError(f"not a number: {value!r}", field=self.field(key))
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ParseError(f"not a number: {value!r}", field=self.field(key)) from None
        if not number.is_finite() or not math.isfinite(float(number)):
            raise ParseError(f"not a finite number: {value!r}", field=self.field(key))
        return float(number)

    def boolean(self, key: str) -> bool | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise ParseError(f"expected true or false, got {value!r}", field=self.field(key))
        return value

    def money(self, key: str) -> Money | None:
        """Money in minor units. An object without an amount is absent, like a missing object."""
        child = self.child(key)
        if child is None:
            return None
        cents = child.integer("amount")
        if cents is None:
            return None
        return Money(cents, child.text("currency") or child.text("currency_code"))

    def cents(self, key: str) -> int | None:
        money = self.money(key)
        return None if money is None else money.cents

    def time(self, key: str) -> datetime | None:
        """An RFC 3339 timestamp as an aware UTC datetime. A stamp without an offset is taken as UTC,
        which is what Square's read-only ``*_at`` fields are documented to be."""
        text = self.text(key)
        if text is None:
            return None
        try:
            stamp = datetime.fromisoformat(text)
            return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)
        except (ValueError, OverflowError):
            raise ParseError(f"not an RFC 3339 timestamp: {text!r}", field=self.field(key)) from None

    def require_time(self, key: str) -> datetime:
        stamp = self.time(key)
        if stamp is None:
            raise ParseError("missing", field=self.field(key))
        return stamp

    def child(self, key: str) -> Obj | None:
        value = self.data.get(key)
        return None if value is None else Obj.of(value, self.field(key))

    def require_child(self, key: str) -> Obj:
        return Obj.of(self.data.get(key), self.field(key))

    def children(self, key: str) -> list[Obj]:
        """A nested array of objects; absent means empty."""
        items = self.data.get(key)
        if items is None:
            return []
        if not isinstance(items, list):
            raise ParseError(f"expected an array, got {type(items).__name__}", field=self.field(key))
        return [Obj.of(item, f"{self.field(key)}[{index}]") for index, item in enumerate(items)]

    def strings(self, key: str) -> list[str]:
        items = self.data.get(key)
        if items is None:
            return []
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            raise ParseError("expected an array of strings", field=self.field(key))
        return [item for item in items if item]


def present(**values: Any) -> dict[str, Any]:
    """Keyword arguments minus the ``None`` ones: a record keeps a field *unset* when the vendor did not
    send it, so ``model_fields_set`` tells the substrate scorecard what was really there."""
    return {name: value for name, value in values.items() if value is not None}


def clip(text: str | None, limit: int) -> str | None:
    """Free text cut to its column's width; vendor strings have no length guarantee."""
    return None if text is None else text[:limit]


def latest(*stamps: datetime | None) -> datetime | None:
    known = [stamp for stamp in stamps if stamp is not None]
    return max(known) if known else None
