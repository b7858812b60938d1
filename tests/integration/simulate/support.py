"""Reading a simulated world back: a digest of a directory, and parse contexts and units that put
the output through the real Square and Counterpoint adapters."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.adapters.counterpoint.keys import KnownStores
from core.domain.parsing import ParseContext, RawEvent

SEED = 7
FIXTURES = Path(__file__).parents[2] / "fixtures"


def tree_digest(root: Path) -> str:
    """One hash over every file's relative path and bytes."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def raw_event(raw: bytes, source: str, source_type: str) -> RawEvent:
    return RawEvent(
        merchant_id="m_sim",
        seq=1,
        source=source,
        source_type=source_type,
        source_event_id=None,
        event_type=None,
        raw=raw,
        received_at=datetime(2026, 4, 1, tzinfo=UTC),
    )


class OrderDirectory:
    """The Square adapter's ``OrderLookup`` over the simulator's API pages: the fake API in a dict."""

    def __init__(self, root: Path) -> None:
        self.orders: dict[str, dict[str, Any]] = {}
        for page in sorted((root / "square/api/orders").rglob("*.json")):
            for order in json.loads(page.read_text())["orders"]:
                self.orders[order["id"]] = order

    def get_order(self, location_id: str | None, order_id: str) -> dict[str, Any]:
        return self.orders[order_id]


def contexts(root: Path) -> tuple[ParseContext, ParseContext]:
    """(Square, Counterpoint) parse contexts: store time zones from world.json, orders from the pages."""
    summary = json.loads((root / "world.json").read_text())
    zones = {s["external_id"]: s["timezone"] for s in summary["stores"]}
    cp_stores = frozenset(s["external_id"] for s in summary["stores"] if s["vendor"] == "counterpoint")

    def zone(location: str) -> str:
        return zones[location]

    square = ParseContext(
        contact_hmac=lambda kind, value: f"hmac:{kind}", fetch=OrderDirectory(root), location_timezone=zone
    )
    counterpoint = ParseContext(
        contact_hmac=lambda kind, value: f"hmac:{kind}", fetch=KnownStores(cp_stores), location_timezone=zone
    )
    return square, counterpoint


def batch_units(root: Path) -> Iterator[tuple[str, bytes]]:
    """Counterpoint units as the adapter's batch reader sees them: files in name order, lines in order."""
    for path in sorted((root / "counterpoint/batch").iterdir()):
        if path.suffix == ".json":
            yield path.name, path.read_bytes()
        else:
            for line in path.read_bytes().splitlines():
                if line.strip():
                    yield path.name, line


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
