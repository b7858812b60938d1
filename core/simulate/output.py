"""From a world to what the vendors would send, one day at a time.

``stream(world)`` yields ``Chunk``s: first the reference data and configs, then one per day (last
year's write-off history first, then the window), then the labels and manifest. Each chunk says which
whole files to write and which JSON lines to append, so ``files.write`` holds one day in memory.
``generate(world)`` keeps every chunk (an ``Output``) for callers that want lists in memory.
Webhooks are handed out in delivery order across days: a delivery is held back until no later day
can produce an earlier one (the earliest local midnight of the next day).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from core.simulate import labels as label_json
from core.simulate import scenarios, timeline
from core.simulate.clock import local_day_start
from core.simulate.movements import Day
from core.simulate.render import cp_documents, cp_reference, cp_stock, meta, square_api
from core.simulate.render.square_feed import Delivery, SquareFeed
from core.simulate.vendor_ids import VendorIds
from core.simulate.world import COUNTERPOINT, SQUARE, World

Json = dict[str, Any]
BATCH = "counterpoint/batch"


@dataclass
class Chunk:
    day: date | None = None
    webhooks: list[Delivery] = field(default_factory=list)
    files: dict[str, Json] = field(default_factory=dict)  # path -> one JSON document
    lines: dict[str, list[Json]] = field(default_factory=dict)  # path -> JSON lines to append

    def add_line(self, path: str, value: Json) -> None:
        self.lines.setdefault(path, []).append(value)


@dataclass
class Output:
    world: World
    chunks: list[Chunk]

    @property
    def webhooks(self) -> list[Delivery]:
        return [d for chunk in self.chunks for d in chunk.webhooks]

    def lines(self, prefix: str) -> list[tuple[str, Json]]:
        return [
            (path, value)
            for chunk in self.chunks
            for path, values in chunk.lines.items()
            if path.startswith(prefix)
            for value in values
        ]

    def documents(self, prefix: str) -> list[tuple[str, Json]]:
        return [
            (path, value)
            for chunk in self.chunks
            for path, value in chunk.files.items()
            if path.startswith(prefix)
        ]

    @property
    def labels(self) -> list[Json]:
        return [value for _path, value in self.lines("labels.jsonl")]

    def counterpoint_units(self) -> list[tuple[str, Json]]:
        """Every Counterpoint unit (reference responses, documents, export rows) with its file."""
        return self.documents(BATCH) + self.lines(BATCH)


def generate(world: World, *, ticket_format: str = "document") -> Output:
    return Output(world, list(stream(world, ticket_format=ticket_format)))


def stream(world: World, *, ticket_format: str = "document") -> Iterator[Chunk]:
    if ticket_format not in ("document", "history"):
        raise ValueError("ticket_format must be 'document' (GET /Document) or 'history' (PS_TKT_HIST rows)")
    ids, plan = VendorIds(world.seed), scenarios.plan(world)
    feed, counts = SquareFeed(world, ids), Counter[str]()
    yield _reference(world, ticket_format)
    history = Chunk()
    for day in timeline.prologue(world, plan):
        _counterpoint(world, ids, day, history, ticket_format, counts, history=True)
    yield history
    pending = feed.onboarding()
    for day in timeline.days(world, plan):
        chunk = _counterpoint(world, ids, day, Chunk(day.day), ticket_format, counts)
        chunk.files.update(square_api.api_files(ids, day))
        for _at, document in square_api.polled(ids, day):
            chunk.add_line("square/polled/cash_drawer_shifts.jsonl", document)
        pending = sorted([*pending, *feed.day(day)], key=lambda d: (d.at, d.body))
        bound = min(local_day_start(day.day + timedelta(days=1), s.timezone) for s in world.stores)
        chunk.webhooks = [d for d in pending if d.at < bound]
        pending = [d for d in pending if d.at >= bound]
        _count(counts, chunk)
        yield chunk
    final = Chunk(webhooks=pending)
    _count(counts, final)
    for label in plan.labels:
        final.add_line("labels.jsonl", label_json.to_json(ids, label))
    counts["labels"] = len(plan.labels)
    layout = "mixed" if len({s.vendor for s in world.stores}) > 1 else world.stores[0].vendor
    final.files["manifest.json"] = meta.manifest(world, layout, ticket_format, dict(counts), plan.skipped)
    yield final


def _count(counts: Counter[str], chunk: Chunk) -> None:
    for delivery in chunk.webhooks:
        counts[f"square.webhook.{_type(delivery)}"] += 1
    counts["square.api_files"] += sum(1 for path in chunk.files if path.startswith("square/api/"))


def _type(delivery: Delivery) -> str:
    start = delivery.body.index('"type":"') + 8
    return delivery.body[start : delivery.body.index('"', start)]


def _reference(world: World, ticket_format: str) -> Chunk:
    chunk = Chunk(files={"world.json": meta.world_summary(world)})
    if world.stores_of(SQUARE):
        chunk.files["square/config.json"] = meta.square_config(world)
    if world.stores_of(COUNTERPOINT):
        chunk.files["counterpoint/config.json"] = meta.counterpoint_config(world, ticket_format)
        for store in world.stores_of(COUNTERPOINT):
            chunk.files[f"{BATCH}/00-Store-{store.external_id}.json"] = cp_reference.store(world, store)
        chunk.files[f"{BATCH}/01-ItemCategories.json"] = cp_reference.categories(world)
        chunk.files[f"{BATCH}/02-Items.json"] = cp_reference.items(world)
        chunk.files[f"{BATCH}/03-Customers.json"] = cp_reference.customers(world)
    return chunk


def _counterpoint(
    world: World,
    ids: VendorIds,
    day: Day,
    chunk: Chunk,
    ticket_format: str,
    counts: Counter[str],
    history: bool = False,
) -> Chunk:
    """A day's Counterpoint units into ``<date>-<n>-<kind>.jsonl`` (history: one ``04-history-*`` file)."""
    stamp = day.day.isoformat()
    units: list[tuple[str, Any, str, Json]] = []  # (file, time, tie-break, unit)
    for change in day.customer_changes:
        if change.customer.vendor == COUNTERPOINT:
            units.append(
                ("1-customers", change.at, change.customer.key, cp_reference.customer_change(world, change))
            )
    for price in day.price_changes:
        units.append(("1-items", price.at, price.key, cp_reference.price_change(price)))
    posted = ticket_format == "history"
    for ticket in day.tickets:
        if ticket.store.vendor == COUNTERPOINT:
            name = "2-PS_TKT_HIST" if posted else "2-documents"
            units.append(
                (name, ticket.saved_at, ticket.key, cp_documents.document(world, ids, ticket, posted))
            )
    for r in day.receivers:
        units.append(("3-PO_RECVR_HIST", r.at, r.key, cp_stock.receiver(ids, r)))
    for t in day.transfers:
        units.append(("3-IM_XFER_HDR", t.shipped_at, t.key, cp_stock.transfer_sent(ids, t)))
        units.append(("4-IM_XFER_IN_HIST", t.received_at, t.key, cp_stock.transfer_received(ids, t)))
    for v in day.vendor_returns:
        units.append(("3-PO_RTV_HIST", v.at, v.key, cp_stock.vendor_return(ids, v)))
    for a in day.adjustments:
        units.append(("3-IM_ADJ_HIST", a.at, a.key, cp_stock.adjustment(ids, a)))
    for name, _at, _key, unit in sorted(units, key=lambda u: (u[0], u[1], u[2])):
        path = (
            f"{BATCH}/04-history-{name.split('-', 1)[1]}.jsonl"
            if history
            else f"{BATCH}/{stamp}-{name}.jsonl"
        )
        chunk.add_line(path, unit)
        counts[f"counterpoint.{name.split('-', 1)[1]}"] += 1
    return chunk
