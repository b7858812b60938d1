"""``POST /webhooks/square?merchant=<id>``: size cap → route → signature → durable inbox → 200.

Nothing reads the body before its signature holds: the merchant comes from the URL (a value of the
shape of a merchant id, else 404 without a look-up), the signature is checked over the raw bytes,
and only then does a bounded parse (``core/domain/bounded_json.py``) take the event id and type.

Answers: oversized 413; unknown merchant 404; revoked merchant 410; bad or missing signature 401;
duplicate 200 ``{"status": "duplicate"}``; otherwise 200 ``{"status": "accepted"}`` only after the
raw bytes are committed. A body that is not JSON but is correctly signed is accepted and sealed; it
then fails at parse, visibly, in ``ingestion_log``.
"""

from __future__ import annotations

from anyio import to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse

from core.adapters.square.signature import verify_square_signature
from core.ingest.identifiers import merchant_ref
from core.ingest.inbox import IncomingEvent
from core.web.body import BodyTooLargeError, peek_json, read_capped
from core.web.deps import IngressDeps

SIGNATURE_HEADER = "x-square-hmacsha256-signature"


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"status": "error", "error": message}, status_code=status)


async def square_webhook(request: Request) -> JSONResponse:
    deps: IngressDeps = request.app.state.ingress
    try:
        raw = await read_capped(request, deps.settings.max_body_bytes)
    except BodyTooLargeError:
        return error(413, f"body larger than {deps.settings.max_body_bytes} bytes")
    ref = merchant_ref(request.query_params.get("merchant"))
    directory = deps.directory
    merchant_id = (
        (directory.peek_resolve(ref, None) or await to_thread.run_sync(directory.resolve, ref, None))
        if ref
        else None
    )
    if merchant_id is None:
        return error(404, "unknown merchant: register it, or add ?merchant=<id> to the notification URL")
    route = directory.peek_route(merchant_id, "square_signature") or await to_thread.run_sync(
        directory.route, merchant_id, "square_signature"
    )
    if route is None or not route.square_notification_url:
        return error(404, f"merchant {merchant_id} has no Square subscription configured")
    if route.status == "revoked":
        return error(410, f"merchant {merchant_id} revoked Canary's Square authorisation")
    if not verify_square_signature(
        body=raw,
        signature_header=request.headers.get(SIGNATURE_HEADER),
        signature_keys=route.keys,
        notification_url=route.square_notification_url,
    ):
        return error(401, "invalid or missing x-square-hmacsha256-signature")
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
        api_version=request.headers.get("square-version"),
    )
    accepted = await deps.inbox.accept_async(incoming)
    return JSONResponse({"status": accepted.status, "event_hash": accepted.event_hash})
