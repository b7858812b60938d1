"""Reading a request body with a hard size cap, before anything else looks at it."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from core.domain import bounded_json


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
    """The body as a JSON object for de-duplication only, read after its signature holds; the hash
    is already taken and the parser will read the bytes again. Not JSON, not an object, or nested or
    sized beyond ``core/domain/bounded_json.py``'s limits → None (the event is still sealed)."""
    return bounded_json.loads_object(raw)
