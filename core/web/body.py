"""Reading a request body with a hard size cap, before anything else looks at it."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request


class BodyTooLargeError(Exception):
    pass


async def read_capped(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLargeError
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:  # a lying or absent Content-Length is caught while streaming
            raise BodyTooLargeError
        chunks.append(chunk)
    return b"".join(chunks)


def peek_json(raw: bytes) -> dict[str, Any] | None:
    """The body as a JSON object for routing and de-duplication only; the hash is already taken and
    the parser will read the bytes again. Not JSON (or not an object) → None."""
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return value if isinstance(value, dict) else None
