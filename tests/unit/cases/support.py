"""Alerts for Fox's unit tests, built the way canary:alerts carries them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from core.cases.domain.model import Alert, Severity

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)  # a Monday morning


def alert(n: int = 1, *, hours: float = 0, **fields: Any) -> Alert:
    base: dict[str, Any] = {
        "detection_id": f"det_{n}",
        "rule_id": "Q-VR-03",
        "family": "void_return",
        "severity": Severity.MEDIUM,
        "queue": "fraud",
        "occurred_at": T0 + timedelta(hours=hours),
        "employee_id": "emp_1",
        "location_id": "store_1",
        "station_id": "reg_1",
        "drawer_session_id": "sess_1",
        "customer_id": "cust_1",
        "rule_bundle_key": "Q-VR-03|emp_1|sess_1",
    }
    base.update(fields)
    return Alert(**base)
