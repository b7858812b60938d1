"""``POST /ingest/{source}``: pushes from an on-premise agent (today: ``counterpoint``).

The agent signs ``timestamp + "." + body`` with the merchant's push key (``X-Canary-Signature:
sha256=<hex>``, ``X-Canary-Timestamp``); a stale timestamp is a replay and is refused. The unit id is
the agent's ``X-Canary-Event-Id`` or, without one, derived from the content, so a re-push of the same
unit is answered ``duplicate``. Answers mirror the Square webhook: 404 unknown source or merchant,
413 oversized, 401 unsigned or stale, 400 an empty (signed) body, 200 accepted / duplicate. An
over-long or unprintable event id is stored hashed (``core/ingest/identifiers.py``).
"""

from __future__ import annotations

import time

from anyio import to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse

from core.adapters.counterpoint.batch import label
from core.adapters.counterpoint.push import verify_push_signature
from core.adapters.counterpoint.units import unit_id
from core.ingest.identifiers import merchant_ref
from core.ingest.inbox import IncomingEvent
from core.web.body import BodyTooLargeError, read_capped
from core.web.deps import IngressDeps
from core.web.square_webhook import error

PUSH_SOURCES = {"counterpoint": ("COUNTERPOINT", "counterpoint_push")}


async def push_ingest(request: Request) -> JSONResponse:
    deps: IngressDeps = request.app.state.ingress
    source = PUSH_SOURCES.get(request.path_params["source"])
    if source is None:
        return error(
            404, f"unknown source {request.path_params['source']!r}: use one of {', '.join(PUSH_SOURCES)}"
        )
    vendor, key_purpose = source
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
        return error(404, "unknown merchant: add ?merchant=<id> to the push URL")
    route = directory.peek_route(merchant_id, key_purpose) or await to_thread.run_sync(
        directory.route, merchant_id, key_purpose
    )
    if route is None or not route.keys:
        return error(404, f"merchant {merchant_id} has no {request.path_params['source']} push key")
    if not verify_push_signature(
        raw,
        request.headers.get("x-canary-signature"),
        route.keys,
        timestamp=request.headers.get("x-canary-timestamp"),
        now=time.time(),
    ):
        return error(401, "invalid, missing or stale X-Canary-Signature / X-Canary-Timestamp")
    if not raw.strip():
        return error(400, "empty body: push one Counterpoint unit (a JSON object) per request")
    kind = label(raw)
    incoming = IncomingEvent(
        merchant_id=merchant_id,
        source=vendor,
        source_type="PUSH",
        raw=raw,
        event_type=kind.split(":", 1)[0][:100],
        source_event_id=request.headers.get("x-canary-event-id") or unit_id(kind, raw),
    )
    accepted = await deps.inbox.accept_async(incoming)
    return JSONResponse({"status": accepted.status, "event_hash": accepted.event_hash})
