"""Typed reads from a Counterpoint JSON object, each failure a ``ParseError`` naming the field.

Counterpoint sends numbers as JSON numbers in responses but as strings in POST bodies and in many SQL
exports, so a numeric string is accepted; anything else that is not a number (``"abc"``, a boolean,
NaN) is refused rather than read as zero. The parser decodes JSON numbers as ``Decimal``, and money
becomes integer cents rounded half-up, never through a binary float. Timestamps carry no offset:
``RS_UTC_DT`` is UTC, and local fields (``TKT_DT``, ``CURR_DT`` …) are placed in the store's zone by
the caller.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from core.domain.parsing import ParseError

_CENT = Decimal("0.01")
_YES, _NO = frozenset({"Y", "YES", "T", "TRUE", "1"}), frozenset({"N", "NO", "F", "FALSE", "0"})


class Row:
    """One vendor object and its dotted path (``PS_DOC_HDR.PS_DOC_LIN[0]``) for error messages."""

    def __init__(self, data: Mapping[str, Any], path: str) -> None:
        self.data, self.path = data, path

    @classmethod
    def of(cls, value: Any, path: str) -> Row:
        if not isinstance(value, Mapping):
            what = "missing" if value is None else f"not an object ({type(value).__name__})"
            raise ParseError(what, field=path)
        return cls(value, path)

    def field(self, key: str) -> str:
        return f"{self.path}.{key}"

    def has(self, key: str) -> bool:
        return self.data.get(key) not in (None, "")

    def text(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ParseError(f"expected text, got {type(value).__name__}", field=self.field(key))
        return str(value).strip() or None

    def require_text(self, key: str) -> str:
        value = self.text(key)
        if value is None:
            raise ParseError("missing", field=self.field(key))
        return value

    def flag(self, key: str) -> bool | None:
        value = self.data.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return value
        token = str(value).strip().upper()
        if token in _YES:
            return True
        if token in _NO:
            return False
        return None  # Counterpoint uses '!' and other letters for "not set" in many flag columns

    def decimal(self, key: str) -> Decimal | None:
        value = self.data.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            raise ParseError(f"not a number: {value!r}", field=self.field(key))
        if isinstance(value, float) and not math.isfinite(value):
            raise ParseError(f"not a finite number: {value!r}", field=self.field(key))
        try:
            number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
        except InvalidOperation:
            raise ParseError(f"not a number: {value!r}", field=self.field(key)) from None
        if not number.is_finite():
            raise ParseError(f"not a finite number: {value!r}", field=self.field(key))
        return number

    def cents(self, key: str) -> int | None:
        number = self.decimal(key)
        return None if number is None else int(number.quantize(_CENT, rounding=ROUND_HALF_UP) * 100)

    def number(self, key: str) -> float | None:
        number = self.decimal(key)
        return None if number is None else float(number)

    def integer(self, key: str) -> int | None:
        number = self.decimal(key)
        if number is None:
            return None
        if number != number.to_integral_value():
            raise ParseError(f"not a whole number: {number}", field=self.field(key))
        return int(number)

    def key_text(self, key: str) -> str | None:
        """An identifier that may arrive as a number (DOC_ID, DRW_SESSION_ID): digits, never 1e+14."""
        value = self.data.get(key)
        if isinstance(value, float | Decimal):
            return str(self.integer(key))
        return self.text(key)

    def require_key(self, key: str) -> str:
        value = self.key_text(key)
        if value is None:
            raise ParseError("missing", field=self.field(key))
        return value

    def require_integer(self, key: str) -> int:
        value = self.integer(key)
        if value is None:
            raise ParseError("missing", field=self.field(key))
        return value

    def naive_time(self, key: str) -> datetime | None:
        text = self.text(key)
        if text is None:
            return None
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            raise ParseError(f"not an ISO 8601 timestamp: {text!r}", field=self.field(key)) from None

    def utc_time(self, key: str) -> datetime | None:
        """A field Counterpoint writes in UTC (RS_UTC_DT); an explicit offset, if any, wins."""
        stamp = self.naive_time(key)
        if stamp is None:
            return None
        return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)

    def local_time(self, key: str, zone: tzinfo) -> tuple[datetime, str] | None:
        """A wall-clock field in ``zone``: (UTC instant, wall clock as sent). In a DST overlap the
        first occurrence is taken (fold=0); the vendor gives nothing better to go on."""
        stamp = self.naive_time(key)
        if stamp is None:
            return None
        if stamp.tzinfo is not None:
            return stamp.astimezone(UTC), stamp.replace(tzinfo=None).isoformat()
        return stamp.replace(tzinfo=zone).astimezone(UTC), stamp.isoformat()

    def children(self, key: str) -> list[Row] | None:
        """A nested array of objects: ``None`` when the key is absent, ``[]`` when present and empty."""
        if key not in self.data or self.data[key] is None:
            return None
        items = self.data[key]
        if not isinstance(items, list):
            raise ParseError(f"expected an array, got {type(items).__name__}", field=self.field(key))
        return [Row.of(item, f"{self.field(key)}[{index}]") for index, item in enumerate(items)]

    def child(self, key: str) -> Row | None:
        value = self.data.get(key)
        return None if value is None else Row.of(value, self.field(key))


def present(**values: Any) -> dict[str, Any]:
    """Keyword arguments minus the ``None`` ones: a record then keeps a field *unset* when the vendor
    did not send it, and ``model_fields_set`` tells coverage what was really there."""
    return {name: value for name, value in values.items() if value is not None}
