"""Time in the simulated world: store-local business days, and the two vendors' timestamp formats.

Everything inside the simulator is an aware UTC ``datetime``; a store's wall clock is only used to
decide *when* things happen (opening hours, shifts) and to print Counterpoint's local fields.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def at_local(day: date, hour: int, minute: int, second: int, zone: str, micro: int = 0) -> datetime:
    """The UTC instant of a wall-clock time in ``zone``. Hours past 23 roll into the next day, so a
    night shift can be described from the business day it belongs to."""
    extra, hour = divmod(hour, 24)
    wall = datetime.combine(day + timedelta(days=extra), time(hour, minute, second, micro))
    return wall.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def local_day_start(day: date, zone: str) -> datetime:
    return at_local(day, 0, 0, 0, zone)


def to_local(instant: datetime, zone: str) -> datetime:
    """The wall clock in ``zone``, without tzinfo (Counterpoint's local fields)."""
    return instant.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def sq_time(instant: datetime) -> str:
    """RFC 3339 with milliseconds and ``Z``, as Square writes ``created_at``."""
    utc = instant.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def sq_time_seconds(instant: datetime) -> str:
    """Square's loyalty and drawer objects print whole seconds (``2020-05-13T01:41:34Z``)."""
    return f"{instant.astimezone(UTC):%Y-%m-%dT%H:%M:%S}Z"


def cp_stamp(wall: datetime) -> str:
    """Counterpoint's ``2016-04-24T22:38:45.0000000``: seven fractional digits, no offset."""
    return f"{wall:%Y-%m-%dT%H:%M:%S}.{wall.microsecond:06d}0"


def cp_utc(instant: datetime) -> str:
    """RS_UTC_DT: UTC, printed without an offset."""
    return cp_stamp(instant.astimezone(UTC).replace(tzinfo=None))


def cp_local(instant: datetime, zone: str) -> str:
    """TKT_DT, CURR_DT, LST_MAINT_DT: the store's wall clock."""
    return cp_stamp(to_local(instant, zone))


def cp_date(day: date) -> str:
    """Date columns (BUS_DAT, PAY_DAT, RECVR_DAT …) carry a zero time."""
    return f"{day.isoformat()}T00:00:00.0000000"


def iso_z(instant: datetime) -> str:
    """Labels and manifests: second precision UTC with ``Z``."""
    return sq_time_seconds(instant)
