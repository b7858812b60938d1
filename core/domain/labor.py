"""Worked time (``sales`` schema): who was clocked in where and when.

Loss-prevention reads timecards to ask whether the employee on a sale was on the clock, and a deleted
timecard is itself a signal. Wages and job titles are payroll data and are not kept.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from core.domain.columns import UTCDateTime
from core.domain.records import Canonical


class Timecard(Canonical):
    id: str = Field(primary_key=True, max_length=160)
    source: str = Field(max_length=16)
    external_id: str = Field(max_length=128)
    status: str = Field(max_length=16)  # OPEN | CLOSED | DELETED
    employee_id: str | None = Field(default=None, max_length=128, index=True)
    location_id: str | None = Field(default=None, max_length=128)
    start_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    end_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    timezone: str | None = Field(default=None, max_length=64)
    job_id: str | None = Field(default=None, max_length=64)
    declared_cash_tip_cents: int | None = None
    break_count: int | None = None
