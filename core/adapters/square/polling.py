"""Backfill and reconciliation: Square list-API objects → raw units to seal (``PolledUnit``).

Each payment, refund, order, and cash drawer shift (with all its events) becomes one JSON document
that goes through the same seal → parse path as a webhook (source type POLLING, or BATCH for files):

    {"canary_polled": {"kind": "payment" | "refund" | "order" | "cash_drawer_shift",
                       "fetched_at": "<RFC 3339 UTC>", ["location_id": "<Square location id>"]},
     "object": {<the Square object, verbatim>},
     ["events": [<CashDrawerShiftEvent, verbatim>, ...]],
     ["order": {<the payment's or refund's order, verbatim>}]}

A payment or refund document may carry the order it names (``order``), fetched when the document was
written (``canary backfill square --file`` with a Square client, or a file that pairs them); the
parser then uses it as it would a fetched order.

``location_id`` is set for drawer shifts (the list call is per location and a shift may not name
it). The bytes are canonical JSON (sorted keys, no spaces, UTF-8), so the same object fetched at the
same time always seals the same bytes. The ``source_event_id`` is deterministic and leaves out the
fetch time, so ingress de-duplicates a re-poll of an unchanged object:
``poll:<kind>:<id>:<updated_at>`` (orders add ``:<version>``); a drawer shift, which has no reliable
update stamp, uses a digest of the shift and its events. An object too odd to name that way (no id)
is still sealed, under a digest, and fails parse visibly rather than vanish.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from core.adapters.square.api import Page, SquareApi, SquareApiError, SquareObject
from core.adapters.square.envelope import POLLED_KEY

MAX_EVENT_ID = 200  # the inbox's source_event_id column


class PolledUnit(NamedTuple):
    source_event_id: str
    raw: bytes

    @property
    def event_type(self) -> str:
        return f"{POLLED_KEY}.{self.source_event_id.split(':')[1]}"


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def polled_document(
    kind: str,
    obj: SquareObject,
    fetched_at: datetime,
    *,
    location_id: str | None = None,
    events: Sequence[SquareObject] | None = None,
    order: SquareObject | None = None,
) -> bytes:
    stamp = fetched_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    meta: dict[str, Any] = {"kind": kind, "fetched_at": stamp}
    if location_id is not None:
        meta["location_id"] = location_id
    body: dict[str, Any] = {POLLED_KEY: meta, "object": obj}
    if events is not None:
        body["events"] = list(events)
    if order is not None:
        body["order"] = order
    return canonical_json(body)


def _digest(value: Any) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()[:32]


def _unit_id(kind: str, obj: SquareObject, *version: Any) -> str:
    ident = obj.get("id")
    parts = [str(part) for part in version if part not in (None, "")]
    if isinstance(ident, str) and ident and parts:
        candidate = ":".join(["poll", kind, ident, *parts])
        if len(candidate) <= MAX_EVENT_ID:
            return candidate
    return f"poll:{kind}:sha256:{_digest(obj)}"


def payment_unit(
    payment: SquareObject, fetched_at: datetime, *, order: SquareObject | None = None
) -> PolledUnit:
    stamp = payment.get("updated_at") or payment.get("created_at")
    raw = polled_document("payment", payment, fetched_at, order=order)
    return PolledUnit(_unit_id("payment", payment, stamp), raw)


def refund_unit(
    refund: SquareObject, fetched_at: datetime, *, order: SquareObject | None = None
) -> PolledUnit:
    stamp = refund.get("updated_at") or refund.get("created_at")
    raw = polled_document("refund", refund, fetched_at, order=order)
    return PolledUnit(_unit_id("refund", refund, stamp), raw)


def order_unit(order: SquareObject, fetched_at: datetime) -> PolledUnit:
    stamp = order.get("updated_at") or order.get("created_at")
    unit_id = _unit_id("order", order, stamp, order.get("version"))
    return PolledUnit(unit_id, polled_document("order", order, fetched_at))


def shift_unit(
    shift: SquareObject, events: Sequence[SquareObject], location_id: str, fetched_at: datetime
) -> PolledUnit:
    content = {"shift": shift, "events": list(events), "location_id": location_id}
    unit_id = _unit_id("cash_drawer_shift", shift, _digest(content))
    raw = polled_document("cash_drawer_shift", shift, fetched_at, location_id=location_id, events=events)
    return PolledUnit(unit_id, raw)


def pages(fetch: Callable[[str | None], Page]) -> Iterator[SquareObject]:
    """Every item of a cursor-paginated list. A cursor Square repeats would loop forever; it is an
    error instead."""
    cursor: str | None = None
    seen: set[str] = set()
    while True:
        page = fetch(cursor)
        yield from page.items
        if page.cursor is None:
            return
        if page.cursor in seen:
            raise SquareApiError(None, "CURSOR_LOOP", f"cursor {page.cursor!r} returned twice")
        seen.add(page.cursor)
        cursor = page.cursor


def iter_backfill(
    api: SquareApi,
    location_ids: Sequence[str],
    begin: datetime,
    end: datetime,
    *,
    fetched_at: datetime | None = None,
) -> Iterator[PolledUnit]:
    """Every payment, refund, order and cash drawer shift created in ``[begin, end)`` at the given
    locations, as units to seal. Payments and refunds are listed merchant-wide by Square and kept when
    their location is one of ``location_ids``. Lazy: a caller can seal as it goes."""
    if not location_ids:
        return
    when = fetched_at or datetime.now(UTC)
    wanted = set(location_ids)
    for payment in pages(lambda cursor: api.list_payments(begin, end, cursor)):
        if payment.get("location_id") in wanted:
            yield payment_unit(payment, when)
    for refund in pages(lambda cursor: api.list_refunds(begin, end, cursor)):
        if refund.get("location_id") in wanted:
            yield refund_unit(refund, when)
    for order in pages(lambda cursor: api.search_orders(list(location_ids), begin, end, cursor)):
        yield order_unit(order, when)
    for location in location_ids:
        yield from _shifts(api, location, begin, end, when)


def _shifts(
    api: SquareApi, location: str, begin: datetime, end: datetime, when: datetime
) -> Iterator[PolledUnit]:
    # The list returns summaries; the full shift (amounts, device, team members) needs its own call.
    for summary in pages(lambda cursor: api.list_cash_drawer_shifts(location, begin, end, cursor)):
        shift_id = summary.get("id")
        if not isinstance(shift_id, str) or not shift_id:
            yield shift_unit(summary, [], location, when)
            continue
        shift = api.get_cash_drawer_shift(shift_id, location)
        yield shift_unit(shift, _events(api, shift_id, location), location, when)


def _events(api: SquareApi, shift_id: str, location: str) -> list[SquareObject]:
    return list(pages(lambda cursor: api.list_cash_drawer_shift_events(shift_id, location, cursor)))
