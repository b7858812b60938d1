"""What the Square adapter needs from Square's REST API, as a port: the ``SquareApi`` protocol, its
page type and its error. Pure declarations (no HTTP), so the parser can ask for an order through
``ParseContext.fetch`` without depending on a client; ``client.py`` implements it over httpx and
``tests/support/fake_square.py`` serves it in tests.

Times are aware datetimes; objects are Square's JSON objects as plain dicts, unvalidated (see
``fields.py`` for why).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

SquareObject = dict[str, Any]

# What ListCashDrawerShifts returns of each shift (a summary); RetrieveCashDrawerShift has the rest.
SHIFT_SUMMARY_KEYS = (
    "id",
    "state",
    "opened_at",
    "ended_at",
    "closed_at",
    "description",
    "opened_cash_money",
    "expected_cash_money",
    "closed_cash_money",
    "created_at",
    "updated_at",
    "location_id",
)


@dataclass(frozen=True)
class Page:
    """One page of a list call; ``cursor`` is ``None`` on the last page."""

    items: list[SquareObject] = field(default_factory=list)
    cursor: str | None = None


class SquareApiError(Exception):
    """A Square call that did not succeed: the HTTP status (``None`` when no response came back) and
    Square's own ``errors[0].code`` / ``errors[0].detail`` when it sent them."""

    def __init__(self, status: int | None, code: str | None, detail: str | None, *, path: str = "") -> None:
        where = f" {path}" if path else ""
        super().__init__(
            f"Square API{where} failed ({status or 'no response'}): {code or '?'}: {detail or ''}"
        )
        self.status, self.code, self.detail, self.path = status, code, detail, path

    @property
    def retryable(self) -> bool:
        """Worth trying again later: rate limits, Square's 5xx, and no response at all."""
        return self.status is None or self.status == 429 or self.status >= 500


@runtime_checkable
class OrderLookup(Protocol):
    """The one capability the parser uses (as ``ParseContext.fetch``): an order by id. Raises
    ``SquareApiError`` when Square cannot return it."""

    def get_order(self, location_id: str | None, order_id: str) -> SquareObject: ...


@runtime_checkable
class SquareApi(OrderLookup, Protocol):
    """The calls backfill and enrichment make. List calls take a ``[begin, end)`` window on the
    objects' ``created_at`` and a cursor from the previous page."""

    def batch_get_orders(self, location_id: str | None, order_ids: Sequence[str]) -> list[SquareObject]: ...

    def list_payments(self, begin: datetime, end: datetime, cursor: str | None = None) -> Page: ...

    def list_refunds(self, begin: datetime, end: datetime, cursor: str | None = None) -> Page: ...

    def search_orders(
        self, location_ids: Sequence[str], begin: datetime, end: datetime, cursor: str | None = None
    ) -> Page: ...

    def list_cash_drawer_shifts(
        self, location_id: str, begin: datetime, end: datetime, cursor: str | None = None
    ) -> Page: ...

    def get_cash_drawer_shift(self, shift_id: str, location_id: str) -> SquareObject: ...

    def list_cash_drawer_shift_events(
        self, shift_id: str, location_id: str, cursor: str | None = None
    ) -> Page: ...
