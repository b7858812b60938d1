"""The outside of a Square event: the webhook envelope, the polled-document envelope, and what every
family mapper is handed (``Inbound``).

A webhook body is ``{merchant_id, [location_id,] type, event_id, created_at, data: {type, id,
[deleted,] object: {<key>: <object>}}}``. ``data.type`` is not always the object key (``order.created``
uses ``order_created``; ``terminal.checkout.*`` uses ``checkout``), so each mapper names its key.
``location_id`` is at the top level only for some families (payout, dispute, device.code.paired …);
mappers prefer the object's own.

A document Canary wrote itself while polling Square's list APIs (see ``polling.py``) is
``{"canary_polled": {"kind", "fetched_at", ["location_id"]}, "object": {...}, ["events": [...]]}``.
Both shapes arrive as raw sealed bytes; nothing here trusts that they are JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.adapters.square.fields import Obj
from core.domain import bounded_json
from core.domain.parsing import ParseContext, ParsedEvent, ParseError, RawEvent
from core.domain.records import Canonical

POLLED_KEY = "canary_polled"


def load_document(raw: bytes) -> Obj:
    """The body as a JSON object, or a ``ParseError`` that says what it is instead."""
    try:
        value = bounded_json.loads(raw)
    except UnicodeDecodeError:
        raise ParseError("body is not valid JSON: not UTF-8 text") from None
    except bounded_json.UnsafeJsonError as exc:
        raise ParseError(f"body is not usable JSON: {exc}") from None
    except ValueError as exc:
        raise ParseError(f"body is not valid JSON: {exc}") from None
    except RecursionError:
        raise ParseError("body is not usable JSON: nested too deeply") from None
    if not isinstance(value, dict):
        raise ParseError(f"body is a JSON {_json_kind(value)}, not an object")
    return Obj(value, "")


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return "boolean" if isinstance(value, bool) else "number"


@dataclass(frozen=True)
class Inbound:
    """One event as a mapper sees it: the sealed event, the adapter's capabilities, the event type,
    and the envelope facts a payload may lack (the event's own time, a top-level location)."""

    event: RawEvent
    ctx: ParseContext
    type: str
    document: Obj
    occurred_at: datetime | None  # envelope created_at, or when a polled document was fetched
    location_hint: str | None  # envelope (or polled) location_id, vendor spelling

    @classmethod
    def webhook(cls, event: RawEvent, ctx: ParseContext, document: Obj) -> Inbound:
        return cls(
            event=event,
            ctx=ctx,
            type=document.require_text("type"),
            document=document,
            occurred_at=document.time("created_at"),
            location_hint=document.text("location_id"),
        )

    @classmethod
    def polled(cls, event: RawEvent, ctx: ParseContext, document: Obj) -> Inbound:
        meta = document.require_child(POLLED_KEY)
        return cls(
            event=event,
            ctx=ctx,
            type=f"{POLLED_KEY}.{meta.require_text('kind')}",
            document=document,
            occurred_at=meta.time("fetched_at"),
            location_hint=meta.text("location_id"),
        )

    @property
    def data(self) -> Obj:
        return self.document.require_child("data")

    @property
    def deleted(self) -> bool:
        return self.data.boolean("deleted") is True

    def object(self, key: str) -> Obj:
        """``data.object.<key>`` of a webhook, or ``object`` of a polled document."""
        if POLLED_KEY in self.document.data:
            return self.document.require_child("object")
        return self.data.require_child("object").require_child(key)

    def objects(self, key: str) -> list[Obj]:
        """``data.object.<key>`` when it is an array (``inventory.count.updated``)."""
        holder = self.data.require_child("object")
        if not isinstance(holder.data.get(key), list):
            raise ParseError("missing or not an array", field=holder.field(key))
        return holder.children(key)

    @property
    def source_type(self) -> str:
        return self.event.source_type

    def parsed_event(
        self, kind: str, entity_id: str, occurred_at: datetime | None, facts: dict[str, Any]
    ) -> ParsedEvent:
        return ParsedEvent(
            merchant_id=self.event.merchant_id,
            evidence_seq=self.event.seq,
            source=self.event.source,
            source_type=self.event.source_type,
            kind=kind,
            entity_id=entity_id,
            occurred_at=occurred_at,
            facts=facts,
        )


def dump(record: Canonical) -> dict[str, Any]:
    """A record as detection facts: JSON-safe, so every consumer reads the same shapes."""
    return record.model_dump(mode="json")
