"""One cursor codec and one page cap for every paginated answer (R's lists, Q's detections and audit
log, and any new service's).

A cursor is the sort key of the last row a page returned, tagged with the list it belongs to, as
base64url JSON. It is opaque to callers (they pass back what they got) but carries no secret: row-level
security, not the cursor, decides what a tenant can see, so a forged cursor only moves the page.
``PagingError`` is a caller's mistake: every MCP server passes its message on (servers/common/server.py).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

MAX_PAGE = 100
Position = list[Any]


class PagingError(ValueError):
    """A bad cursor or page size; the message says what to change."""

    user_facing = True


class CursorError(PagingError):
    pass


class LimitError(PagingError):
    pass


def check_limit(limit: int, maximum: int = MAX_PAGE) -> int:
    if not 1 <= limit <= maximum:
        raise LimitError(f"limit must be between 1 and {maximum}, got {limit}")
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
        raise CursorError(
            "invalid cursor: this cursor is not one this tool returned; omit it to start from the first page"
        ) from None
    if not isinstance(body, dict) or body.get("k") != kind:
        raise CursorError(f"cursor belongs to another list (expected a {kind} cursor); omit it to restart")
    position = body.get("p")
    if not isinstance(position, list) or len(position) != arity:
        raise CursorError("invalid cursor: it is malformed; omit it to start from the first page")
    if not all(v is None or isinstance(v, str | int) for v in position):
        raise CursorError("invalid cursor: it is malformed; omit it to start from the first page")
    return position


def as_datetime(value: Any) -> datetime:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise CursorError("invalid cursor: it is malformed; omit it to start from the first page") from None
