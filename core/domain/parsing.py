"""The contract between the pipeline and a vendor adapter: a sealed raw event goes in, canonical
records and parsed events come out, or a reason why not.

Adapters are pure: no database, no bus. What they need from outside (the Square Orders API, the
per-merchant HMAC for contact details) comes in through ``ParseContext``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict

from core.domain.records import Canonical

PARSED_EVENT_SCHEMA_VERSION: Final = 1


@dataclass(frozen=True)
class RawEvent:
    merchant_id: str
    seq: int  # evidence sequence number: the position in the merchant's chain
    source: str  # a Vendor value, or CANARY for Canary's own events (core/adapters/internal.py)
    source_type: str  # SourceType value
    source_event_id: str | None
    event_type: str | None
    raw: bytes
    received_at: datetime
    api_version: str | None = None


@dataclass(frozen=True)
class ParseContext:
    """Capabilities an adapter may use. ``contact_hmac(kind, value)`` returns the merchant's keyed
    HMAC of a normalised phone/email; ``fetch`` is the vendor API client for enrichment (e.g. Square
    orders), or ``None`` where enrichment is impossible (then the adapter records what it can)."""

    contact_hmac: Callable[[str, str], str]
    fetch: Any | None = None
    location_timezone: Callable[[str], str] = field(default=lambda _location_id: "UTC")
    # Counterpoint: is this STR_ID a store the merchant registered; and which stored document is
    # (STR_ID, DOC_ID) — a return's original sale may have been sealed long before.
    known_store: Callable[[str], bool] | None = None
    resolve_document: Callable[[str, str], str | None] | None = None


class ParsedEvent(BaseModel):
    """What Q, R and A consume from ``canary:detection`` (schema version 1; see docs/pipeline.md).

    ``facts`` holds the canonical records the event produced (``{"transaction": {...},
    "line_items": [...], "tenders": [...]}``), so consumers evaluate without reading them back."""

    model_config = ConfigDict(frozen=True)

    schema_version: Literal[1] = PARSED_EVENT_SCHEMA_VERSION
    merchant_id: str
    evidence_seq: int
    source: str
    source_type: str
    kind: str  # transaction | drawer_shift | customer | loyalty_event | document | inventory | …
    entity_id: str
    occurred_at: datetime | None = None
    facts: dict[str, Any]
    # A retraction: a replay's new parse of this seq no longer produces this (kind, entity); the
    # consumers withdraw what it contributed (docs/tsp-ops.md, "Replay safety"). ``facts`` then holds
    # only ``removed``: the canonical rows of the seq the parse stage deleted, by table.
    retracted: bool = False

    def removed(self, table: str) -> list[list[Any]]:
        """A retraction's deleted natural keys in this canonical table (none for other events)."""
        if not self.retracted:
            return []
        keys = (self.facts.get("removed") or {}).get(table) or []
        return [list(k) for k in keys if isinstance(k, list)]


@dataclass(frozen=True)
class Parsed:
    records: Sequence[Canonical]
    events: Sequence[ParsedEvent] = ()
    # A control signal for the pipeline, e.g. Square's oauth.authorization.revoked.
    merchant_status: Literal["revoked"] | None = None


@dataclass(frozen=True)
class Ignored:
    reason: str


ParseOutcome = Parsed | Ignored


class ParseError(Exception):
    """A payload the adapter cannot map. ``field`` names the offending field (dotted path)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
