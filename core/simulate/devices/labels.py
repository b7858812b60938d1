"""Ground truth of a device-hour world."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

VOID_SPIKE = "void_rate_spike"
REFUND_CREEP = "refund_rate_creep"
CASH_BURST = "cash_no_sale_burst"
OFF_HOURS = "off_hours_activity"
STORE_DRIFT = "store_wide_drift"
PROMOTION = "chain_promotion_day"
COLD_START = "cold_start_install"
ANOMALY_TYPES = (VOID_SPIKE, REFUND_CREEP, CASH_BURST, OFF_HOURS, STORE_DRIFT)


@dataclass
class DeviceLabel:
    scenario_type: str
    scope: str  # device | store | chain
    polarity: str  # positive | hard_negative | context (cold start: a device installed mid-way)
    store_id: str | None
    device_id: str | None
    start: datetime
    end: datetime
    top_dimension: str  # the dimension a detection should name first ("" when none should fire)
    hours: set[tuple[str, datetime]] = field(default_factory=set)  # positive device-hours (with a sale)
    note: str = ""
