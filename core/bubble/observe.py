"""From a device's transactions in one UTC hour to the raw counts Bubble scores (``DeviceHour``).

Pure: the live ``bubble`` consumer and ``canary rebuild bubble`` both read the canonical transactions
of a device and hour and call ``device_hour``, so the two paths give the same row by construction.
What counts as what is docs/bubble.md's "Observations" table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from core.bubble.dimensions import DeviceHour

TICKETS = frozenset({"SALE", "REFUND", "EXCHANGE", "VOID", "POST_VOID"})  # rung at the till
VOID_TYPES = frozenset({"VOID", "POST_VOID"})
VOID_STATUSES = frozenset({"VOIDED", "CANCELED"})
SOLD = frozenset({"SALE", "EXCHANGE"})
NO_SALE = "NO_SALE"
GAP_DECIMALS = 4  # the mean gap is stored rounded, so both databases hold the same value


@dataclass(frozen=True)
class Ticket:
    """One canonical transaction as Bubble reads it."""

    transaction_id: str
    type: str
    status: str
    amount_cents: int
    occurred_at: datetime
    employee_id: str | None
    location_id: str | None
    cash: bool  # at least one CASH tender


def hour_of(when: datetime) -> datetime:
    """The start of ``when``'s UTC hour."""
    utc = when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
    return utc.replace(minute=0, second=0, microsecond=0)


def voided(ticket: Ticket) -> bool:
    return ticket.type in VOID_TYPES or ticket.status.upper() in VOID_STATUSES


def device_hour(device_id: str, hour: datetime, tickets: Sequence[Ticket]) -> DeviceHour | None:
    """The hour's counts, or ``None`` when the device did nothing in it (no row: a missing hour is an
    hour without activity)."""
    if not tickets:
        return None
    rung = [t for t in tickets if t.type in TICKETS]
    latest = max(tickets, key=lambda t: (t.occurred_at, t.transaction_id))
    times = sorted(t.occurred_at for t in rung)
    gap = None
    if len(times) >= 2:
        gap = round((times[-1] - times[0]).total_seconds() / 60.0 / (len(times) - 1), GAP_DECIMALS)
    return DeviceHour(
        device_id=device_id,
        store_id=latest.location_id or "",
        hour=hour,
        transactions=len(rung),
        amount_cents=sum(t.amount_cents for t in rung if t.type in SOLD and not voided(t)),
        voids=sum(1 for t in rung if voided(t)),
        refunds=sum(1 for t in rung if t.type == "REFUND" and not voided(t)),
        no_sales=sum(1 for t in tickets if t.type == NO_SALE),
        cash_tenders=sum(1 for t in rung if t.cash),
        gap_minutes_mean=gap,
        distinct_employees=len({t.employee_id for t in tickets if t.employee_id}),
        network_events=None,
    )
