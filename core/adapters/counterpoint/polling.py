"""Polling the Counterpoint API over a window: the pure loop that turns API answers into raw units.

What can be polled is what NCR's API offers: store configuration and item categories (slow-moving,
re-read each poll; unchanged bytes de-duplicate), customers changed in an RS_UTC_DT window (paged),
and documents by id (NCR has no document list: ids come from elsewhere, e.g. a SQL feed). Posted
history, transfers, receivers, RTVs and adjustments are not in the API at all; they arrive as export
rows through batch.py.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from core.adapters.counterpoint.client import CounterpointApi, CounterpointApiError, api_time
from core.adapters.counterpoint.units import Unit, unit_id
from core.domain import bounded_json


@dataclass(frozen=True)
class PollWindow:
    start: datetime  # aware; compared with RS_UTC_DT
    end: datetime
    store_ids: Sequence[str] = ()
    document_ids: Sequence[str] = ()
    categories: bool = True
    page_size: int = 100
    max_pages: int = 10_000

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError("the window's start must be before its end (NCR refuses StartDate >= EndDate)")
        if self.page_size < 1 or self.max_pages < 1:
            raise ValueError("page_size and max_pages must be positive")


def iter_poll(api: CounterpointApi, window: PollWindow) -> Iterator[Unit]:
    """Yield every unit the window covers. Errors from the API propagate: a poll that cannot finish
    is retried whole, and what it already yielded de-duplicates on the retry."""
    for store in window.store_ids:
        raw = api.get_store(store)
        yield Unit(unit_id(f"store:{store}", raw), raw)
    if window.categories:
        raw = api.get_item_categories()
        yield Unit(unit_id("item_categories", raw), raw)
    yield from _customer_pages(api, window)
    for doc_id in window.document_ids:
        raw = api.get_document(doc_id)
        yield Unit(unit_id(f"document:{doc_id}", raw), raw)


def _customer_pages(api: CounterpointApi, window: PollWindow) -> Iterator[Unit]:
    span = f"{api_time(window.start)}..{api_time(window.end)}"
    previous: bytes | None = None
    for page in range(1, window.max_pages + 1):
        raw = api.get_customers_page(page, window.page_size, start=window.start, end=window.end)
        if raw == previous and raw:
            raise CounterpointApiError("ERROR_PAGING", f"page {page} repeats page {page - 1}: paging ignored")
        rows = _row_count(raw)
        if rows == 0:
            return
        yield Unit(unit_id(f"customers:{span}:p{page}", raw), raw)
        if rows is None or rows < window.page_size:
            return  # a short page is the last; an unreadable one is sealed and fails at parse
        previous = raw
    raise CounterpointApiError("ERROR_PAGING", f"more than {window.max_pages} pages of customers in {span}")


def _row_count(raw: bytes) -> int | None:
    try:
        body = bounded_json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    rows = body.get("Customers") if isinstance(body, dict) else None
    return len(rows) if isinstance(rows, list) else None
