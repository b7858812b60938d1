"""Opaque keyset cursors: (time, id) of the last row a page returned."""

from __future__ import annotations

import base64
from datetime import datetime

from core.rules.errors import ChirpError


class CursorError(ChirpError, ValueError):
    pass


def encode_cursor(at: datetime, row_id: str) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{row_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        stamp, _, row_id = text.partition("|")
        return datetime.fromisoformat(stamp), row_id
    except (ValueError, UnicodeDecodeError):
        raise CursorError("invalid cursor: pass back the next_cursor of a previous page") from None
