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
from core.adapters.square.api import SquareApi, SquareObject
from core.adapters.square.files import OrderNamed, object_units, order_named
from core.adapters.square.polling import PolledUnit, iter_backfill
from core.domain import bounded_json
from core.ingest.inbox import Inbox, IncomingEvent

CHUNK = 500
ORDER_BATCH = 100  # BatchRetrieveOrders takes at most 100 ids


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


def square_file(
    merchant_id: str, path: Path, *, fetched_at: datetime, orders: SquareApi | None = None
) -> Iterator[IncomingEvent]:
    """A stored Square file, one JSON object per line, imported as ``BATCH`` in file order: webhook
    bodies as Square sent them, and Square API objects (orders, payments, refunds, cash drawer shifts
    with their events), which become the documents polling writes (see
    ``core.adapters.square.files``). With ``orders`` (a configured Square client) the order each
    payment or refund webhook names is fetched, in batches, and sealed right after the first line
    that names it, paired with that payment or refund as polling would pair them, so stored webhooks
    get their order's lines and every tender of the ticket."""
    lines = _square_lines(merchant_id, path, fetched_at)
    if orders is None:
        yield from (event for event, _named in lines)
        return
    pending: list[tuple[IncomingEvent, OrderNamed | None]] = []
    wanted: dict[str, str | None] = {}
    seen: set[str] = set()
    for event, named in lines:
        pending.append((event, named))
        if named is not None and named.order_id not in seen:
            seen.add(named.order_id)
            wanted[named.order_id] = named.location_id
        if len(wanted) >= ORDER_BATCH or len(pending) >= CHUNK:
            yield from _with_orders(merchant_id, orders, pending, wanted, fetched_at)
            pending, wanted = [], {}
    yield from _with_orders(merchant_id, orders, pending, wanted, fetched_at)


def _square_lines(
    merchant_id: str, path: Path, fetched_at: datetime
) -> Iterator[tuple[IncomingEvent, OrderNamed | None]]:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            raw = line.rstrip(b"\r\n")
            if not raw.strip():
                continue
            # None when unreadable: still sealed, it fails at parse, visibly, like a bad webhook
            body = bounded_json.loads_object(raw)
            units = object_units(body, fetched_at)
            if units is not None:
                for unit in units:
                    yield _polled_event(merchant_id, unit), None
                continue
            event_id = body.get("event_id") if isinstance(body, dict) else None
            event_type = body.get("type") if isinstance(body, dict) else None
            yield (
                IncomingEvent(
                    merchant_id=merchant_id,
                    source="SQUARE",
                    source_type="BATCH",
                    raw=raw,
                    source_event_id=event_id if isinstance(event_id, str) else f"{path.name}:{number}",
                    event_type=event_type if isinstance(event_type, str) else None,
                ),
                order_named(body),
            )


def _with_orders(
    merchant_id: str,
    api: SquareApi,
    pending: list[tuple[IncomingEvent, OrderNamed | None]],
    wanted: dict[str, str | None],
    fetched_at: datetime,
) -> Iterator[IncomingEvent]:
    by_location: dict[str | None, list[str]] = {}
    for order_id, location in wanted.items():
        by_location.setdefault(location, []).append(order_id)
    found: dict[str, SquareObject] = {}
    for location, ids in by_location.items():
        for order in api.batch_get_orders(location, ids):
            if isinstance(order.get("id"), str):
                found[order["id"]] = order
    for event, named in pending:
        yield event
        fetched = found.pop(named.order_id, None) if named is not None else None
        if named is not None and fetched is not None:
            # Right after the first line naming it; an order Square does not return is skipped.
            yield _polled_event(merchant_id, named.unit(fetched, fetched_at))


def _polled_event(merchant_id: str, unit: PolledUnit) -> IncomingEvent:
    return IncomingEvent(
        merchant_id=merchant_id,
        source="SQUARE",
        source_type="BATCH",
        raw=unit.raw,
        source_event_id=unit.source_event_id,
        event_type=unit.event_type,
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
