"""Canary's own events, sealed into the same chain as vendor events (source ``CANARY``).

They are evidence about the evidence — a redaction under the right to be forgotten, for instance,
lists which sealed payloads were erased, when, by whom and why — so they produce no canonical rows.
"""

from __future__ import annotations

import json

from core.domain import bounded_json
from core.domain.parsing import Ignored, ParseContext, ParseError, ParseOutcome, RawEvent

REDACTION_EVENT = "canary.redaction"  # sealed by forget-customer; verify reads its erased_seqs
KNOWN = {
    REDACTION_EVENT: "redaction record: evidence that named payloads were erased (no canonical rows)",
}


def parse(event: RawEvent, _ctx: ParseContext) -> ParseOutcome:
    try:
        body = bounded_json.loads(event.raw)
    except (UnicodeDecodeError, json.JSONDecodeError, bounded_json.UnsafeJsonError) as exc:
        raise ParseError(f"internal event is not JSON: {exc.msg if hasattr(exc, 'msg') else exc}") from None
    kind = body.get("type") if isinstance(body, dict) else None
    if kind not in KNOWN:
        raise ParseError(f"unknown internal event type {kind!r}", field="type")
    return Ignored(KNOWN[kind])
