"""Opaque keyset cursors for R's paginated answers.

A cursor is the sort key of the last row returned, tagged with the list it belongs to, as base64url
JSON. It is opaque to callers (they pass back what they got) but carries no secret: row-level
security, not the cursor, decides what a tenant can see, so a forged cursor only moves the page.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from core.customers.errors import InvalidArgumentError, InvalidCursorError

MAX_LIMIT = 100
Position = list[Any]


def check_limit(limit: int, maximum: int = MAX_LIMIT) -> int:
    if not 1 <= limit <= maximum:
        raise InvalidArgumentError(f"limit must be between 1 and {maximum}, got {limit}")
    return limit


def encode_cursor(kind: str, position: Sequence[Any]) -> str:
    values = [v.isoformat() if isinstance(v, datetime) else v for v in position]
    raw = json.dumps({"k": kind, "p": values}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str | None, arity: int) -> Position | None:
    """The position after which the next page starts, or ``None`` for the first page."""
    if not cursor:
        return None
    try:
        body = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidCursorError(
            "cursor is not one this tool returned; omit it to start from the first page"
        ) from None
    if not isinstance(body, dict) or body.get("k") != kind:
        raise InvalidCursorError(
            f"cursor belongs to another list (expected a {kind} cursor); omit it to restart"
        )
    position = body.get("p")
    if not isinstance(position, list) or len(position) != arity:
        raise InvalidCursorError("cursor is malformed; omit it to start from the first page")
    if not all(v is None or isinstance(v, str | int) for v in position):
        raise InvalidCursorError("cursor is malformed; omit it to start from the first page")
    return position


def as_datetime(value: Any) -> datetime:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise InvalidCursorError("cursor is malformed; omit it to start from the first page") from None
