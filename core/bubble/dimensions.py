"""What Bubble observes per device-hour, and the dimensions it scores.

A device-hour keeps raw counts and their denominators, never pre-divided rates: a void rate is
``voids`` of ``transactions``, so one void in two sales is scored as one void in two sales.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# The scored dimensions, in the order of every array in core/bubble.
DIMENSIONS = (
    "transactions",  # tickets rung per hour (Negative Binomial per hour-of-week bucket)
    "avg_ticket",  # amount / transactions, on the log scale with variance shrinking as 1/n
    "void_rate",  # voids of transactions (Beta-Binomial)
    "refund_rate",  # refunds of transactions (Beta-Binomial)
    "no_sales",  # drawer opened without a sale (Gamma-Poisson per open/closed state)
    "cash_share",  # cash tenders of transactions (Beta-Binomial)
    "gap_minutes",  # mean minutes between tickets, relative to 60/n so volume is not counted twice
    "distinct_employees",  # employees beyond the first (Gamma-Poisson per state)
    "network_events",  # device telemetry events, where a source has them (Gamma-Poisson per state)
)
K = len(DIMENSIONS)
TXN, TICKET, VOID, REFUND, NOSALE, CASH, GAP, EMPLOYEES, NETWORK = range(K)
RATES = (VOID, REFUND, CASH)  # k-of-n dimensions
COUNTS = (NOSALE, EMPLOYEES, NETWORK)  # rare counts
RISK = (VOID, REFUND, CASH, NOSALE, NETWORK)  # the dimensions with a slow (CUSUM) channel

UNITS = {
    "transactions": "transactions",
    "avg_ticket": "cents per transaction",
    "void_rate": "voids",
    "refund_rate": "refunds",
    "no_sales": "no-sales",
    "cash_share": "cash tenders",
    "gap_minutes": "minutes between transactions",
    "distinct_employees": "employees",
    "network_events": "network events",
}


@dataclass(frozen=True)
class DeviceHour:
    """One device's activity in one UTC hour (``hour`` is the start of the hour, timezone-aware)."""

    device_id: str
    store_id: str
    hour: datetime
    transactions: int = 0
    amount_cents: int = 0  # gross sales amount rung in the hour
    voids: int = 0
    refunds: int = 0
    no_sales: int = 0
    cash_tenders: int = 0
    gap_minutes_mean: float | None = None  # None (or empty) with fewer than two transactions
    distinct_employees: int = 0
    network_events: int | None = None  # None where the source has no device telemetry
