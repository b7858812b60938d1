"""Polling and batch imports: vendor units go through the same inbox → seal → parse path as webhooks,
marked ``POLLING`` or ``BATCH``. Units carry deterministic ids, so importing the same window or file
twice adds nothing (the second pass is answered ``duplicate``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from pathlib import Path

from core.adapters.counterpoint.batch import iter_batch, label
from core.adapters.counterpoint.client import CounterpointApi
from core.adapters.counterpoint.polling import PollWindow, iter_poll
from core.adapters.square.api import SquareApi
from core.adapters.square.polling import iter_backfill
from core.domain import bounded_json
from core.ingest.inbox import Inbox, IncomingEvent

CHUNK = 500


@dataclass(frozen=True)
class ImportResult:
    accepted: int = 0
    duplicates: int = 0

    def __add__(self, other: ImportResult) -> ImportResult:
        return ImportResult(self.accepted + other.accepted, self.duplicates + other.duplicates)


def accept_all(inbox: Inbox, events: Iterable[IncomingEvent]) -> ImportResult:
    """Accept lazily produced events in chunks: one transaction per chunk and merchant."""
    total = ImportResult()
    iterator = iter(events)
    while chunk := list(islice(iterator, CHUNK)):
        answers = inbox.accept_many(chunk)
        accepted = sum(a.status == "accepted" for a in answers)
        total += ImportResult(accepted, len(answers) - accepted)
    return total


def square_polled(
    merchant_id: str, api: SquareApi, locations: list[str], begin: datetime, end: datetime
) -> Iterator[IncomingEvent]:
    for unit in iter_backfill(api, locations, begin, end):
        yield IncomingEvent(
            merchant_id=merchant_id,
            source="SQUARE",
            source_type="POLLING",
            raw=unit.raw,
            source_event_id=unit.source_event_id,
            event_type=unit.event_type,
        )


def square_webhook_file(merchant_id: str, path: Path) -> Iterator[IncomingEvent]:
    """Stored webhook bodies, one raw body per line (as Square sent them), imported as ``BATCH``."""
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            raw = line.rstrip(b"\r\n")
            if not raw.strip():
                continue
            # None when unreadable: still sealed, it fails at parse, visibly, like a bad webhook
            envelope = bounded_json.loads_object(raw)
            event_id = envelope.get("event_id") if isinstance(envelope, dict) else None
            event_type = envelope.get("type") if isinstance(envelope, dict) else None
            yield IncomingEvent(
                merchant_id=merchant_id,
                source="SQUARE",
                source_type="BATCH",
                raw=raw,
                source_event_id=event_id if isinstance(event_id, str) else f"{path.name}:{number}",
                event_type=event_type if isinstance(event_type, str) else None,
            )


def counterpoint_directory(merchant_id: str, directory: Path) -> Iterator[IncomingEvent]:
    for unit in iter_batch(directory):
        yield IncomingEvent(
            merchant_id=merchant_id,
            source="COUNTERPOINT",
            source_type="BATCH",
            raw=unit.raw,
            source_event_id=unit.source_event_id,
            event_type=label(unit.raw).split(":", 1)[0][:100],
        )


def counterpoint_polled(
    merchant_id: str, api: CounterpointApi, window: PollWindow
) -> Iterator[IncomingEvent]:
    for unit in iter_poll(api, window):
        yield IncomingEvent(
            merchant_id=merchant_id,
            source="COUNTERPOINT",
            source_type="POLLING",
            raw=unit.raw,
            source_event_id=unit.source_event_id,
            event_type=label(unit.raw).split(":", 1)[0][:100],
        )
