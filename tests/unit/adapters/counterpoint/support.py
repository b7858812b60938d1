"""Shared helpers for the Counterpoint adapter tests: fixtures on disk, a parse context, raw events."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from core.adapters.counterpoint.keys import KnownStores
from core.adapters.counterpoint.parser import parse
from core.domain.parsing import ParseContext, Parsed, RawEvent
from core.domain.records import Canonical
from core.security.crypto import contact_hmac

FIXTURES = Path(__file__).parents[3] / "fixtures" / "counterpoint"
APIGUIDE = FIXTURES / "apiguide"
EXPORTS = FIXTURES / "exports"
PII_KEY = b"k" * 32
# The sample's TKT_DT (22:38) and RS_UTC_DT (02:38 next day) are four hours apart in April: US Eastern.
ZONES = {"20": "America/New_York", "MAIN": "America/Chicago", "EAST": "America/New_York"}
SALE_ID = "cp:doc:da0f35296a804ceabffe7e6f52b22a9e"

R = TypeVar("R", bound=Canonical)


def context(
    zones: Mapping[str, str] = ZONES,
    documents: Mapping[tuple[str, str], str] | None = None,
    *,
    lookups: bool = True,
) -> ParseContext:
    return ParseContext(
        contact_hmac=lambda kind, value: contact_hmac(PII_KEY, kind, value),
        fetch=KnownStores(frozenset(zones), documents or {}) if lookups else None,
        location_timezone=lambda store: zones[store],
    )


def event(raw: bytes, *, source_type: str = "POLLING", seq: int = 1) -> RawEvent:
    return RawEvent(
        merchant_id="m_test",
        seq=seq,
        source="COUNTERPOINT",
        source_type=source_type,
        source_event_id=None,
        event_type=None,
        raw=raw,
        received_at=datetime(2024, 1, 1, tzinfo=UTC),
    )


def run(raw: bytes, ctx: ParseContext | None = None, *, source_type: str = "POLLING") -> Parsed:
    outcome = parse(event(raw, source_type=source_type), ctx or context())
    assert isinstance(outcome, Parsed), outcome
    return outcome


def of_type(parsed: Parsed, kind: type[R]) -> list[R]:
    return [record for record in parsed.records if type(record) is kind]


def one(parsed: Parsed, kind: type[R]) -> R:
    found = of_type(parsed, kind)
    assert len(found) == 1, found
    return found[0]


def sample(name: str) -> dict[str, Any]:
    return json.loads((APIGUIDE / name).read_text())  # type: ignore[no-any-return]


def document_bytes(change: Callable[[dict[str, Any]], None] | None = None) -> bytes:
    """The NCR GET /Document sample, optionally edited (``change`` receives PS_DOC_HDR)."""
    body = copy.deepcopy(sample("GET_Document.response1.json"))
    if change is not None:
        change(body["PS_DOC_HDR"])
    return json.dumps(body).encode()


def export_lines(name: str) -> list[bytes]:
    return [line for line in (EXPORTS / name).read_bytes().splitlines() if line.strip()]
