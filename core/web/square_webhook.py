"""``POST /webhooks/square?merchant=<id>``: size cap → route → signature → durable inbox → 200.

Nothing reads the body before its signature holds: the merchant comes from the URL (a value of the
shape of a merchant id, else 404 without a look-up), the signature is checked over the raw bytes,
and only then does a bounded parse (``core/domain/bounded_json.py``) take the event id and type.

Answers: oversized 413; unknown merchant 404; revoked merchant 410; bad or missing signature 401;
duplicate 200 ``{"status": "duplicate"}``; otherwise 200 ``{"status": "accepted"}`` only after the
raw bytes are committed. A body that is not JSON but is correctly signed is accepted and sealed; it
then fails at parse, visibly, in ``ingestion_log``.

The route is a plain ASGI app (``SquareWebhook``), not a Starlette request handler: it is the one
hot path of the ingress, and building a ``Request``, its header and query-string views and a
``JSONResponse`` per webhook cost a sixth of the ingress's CPU (docs/benchmarks.md, "Webhooks").
It reads the same things the same way (the first of a repeated header, the last of a repeated
query parameter, the body streamed under the cap) and answers the same bytes a ``JSONResponse``
would. Errors it raises (the database away: 503) still go to the app's exception handlers.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from anyio import to_thread
from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse

from core.adapters.square.signature import verify_square_signature
from core.ingest.identifiers import merchant_ref
from core.ingest.inbox import IncomingEvent
from core.web.body import peek_json
from core.web.deps import IngressDeps

SIGNATURE_HEADER = "x-square-hmacsha256-signature"
_SIGNATURE = SIGNATURE_HEADER.encode("latin-1")
_CONTENT_LENGTH = b"content-length"
_SQUARE_VERSION = b"square-version"

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"status": "error", "error": message}, status_code=status)


def _json_body(content: dict[str, Any]) -> bytes:
    """What ``JSONResponse`` renders for ``content``."""
    text = json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))
    return text.encode("utf-8")


class _TooLargeError(Exception):
    pass


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    """The first value of ``name`` (lower case, as ASGI servers give them), as Starlette reads it."""
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None


async def _read_capped(receive: Receive, declared: str | None, limit: int) -> bytes:
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _TooLargeError
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.request":
            body = message.get("body", b"")
            size += len(body)
            if size > limit:  # a lying or absent Content-Length is caught while streaming
                raise _TooLargeError
            if body:
                chunks.append(body)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)
        elif message["type"] == "http.disconnect":
            raise ClientDisconnect


class SquareWebhook:
    """The ASGI app of ``POST /webhooks/square`` (the app's ingress deps from ``scope["app"]``)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        status, content = await self.answer(scope, receive)
        body = _json_body(content)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-length", str(len(body)).encode("latin-1")),
                    (b"content-type", b"application/json"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    async def answer(scope: Scope, receive: Receive) -> tuple[int, dict[str, Any]]:
        deps: IngressDeps = scope["app"].state.ingress
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        limit = deps.settings.max_body_bytes
        try:
            raw = await _read_capped(receive, _header(headers, _CONTENT_LENGTH), limit)
        except _TooLargeError:
            return _error(413, f"body larger than {limit} bytes")
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
        ref = merchant_ref(query.get("merchant"))
        directory = deps.directory
        merchant_id = (
            (directory.peek_resolve(ref, None) or await to_thread.run_sync(directory.resolve, ref, None))
            if ref
            else None
        )
        if merchant_id is None:
            return _error(404, "unknown merchant: register it, or add ?merchant=<id> to the notification URL")
        route = directory.peek_route(merchant_id, "square_signature") or await to_thread.run_sync(
            directory.route, merchant_id, "square_signature"
        )
        if route is None or not route.square_notification_url:
            return _error(404, f"merchant {merchant_id} has no Square subscription configured")
        if route.status == "revoked":
            return _error(410, f"merchant {merchant_id} revoked Canary's Square authorisation")
        if not verify_square_signature(
            body=raw,
            signature_header=_header(headers, _SIGNATURE),
            signature_keys=route.keys,
            notification_url=route.square_notification_url,
        ):
            return _error(401, "invalid or missing x-square-hmacsha256-signature")
        envelope = peek_json(raw) or {}
        event_id = envelope.get("event_id")
        event_type = envelope.get("type")
        incoming = IncomingEvent(
            merchant_id=merchant_id,
            source="SQUARE",
            source_type="WEBHOOK",
            raw=raw,
            source_event_id=event_id if isinstance(event_id, str) else None,
            event_type=event_type if isinstance(event_type, str) else None,
            api_version=_header(headers, _SQUARE_VERSION),
        )
        accepted = await deps.inbox.accept_async(incoming)
        return 200, {"status": accepted.status, "event_hash": accepted.event_hash}


def _error(status: int, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"status": "error", "error": message}


square_webhook = SquareWebhook()
