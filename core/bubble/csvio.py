"""The offline formats of ``canary bubble score`` (docs/bubble.md, "Offline scoring").

Input: one row per device-hour, header ``device_id, store_id, hour, transactions, amount_cents,
voids, refunds, no_sales, cash_tenders, gap_minutes_mean, distinct_employees`` and optionally
``network_events``; a missing hour means no activity. Output: a row per input device-hour, then a
row per store-hour with an empty ``device_id``. Errors name the line (line 1 is the header).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import IO

from core.bubble.dimensions import DeviceHour
from core.bubble.results import Result

REQUIRED = (
    "device_id",
    "store_id",
    "hour",
    "transactions",
    "amount_cents",
    "voids",
    "refunds",
    "no_sales",
    "cash_tenders",
    "gap_minutes_mean",
    "distinct_employees",
)
OPTIONAL = ("network_events",)
COUNTS = (
    "transactions",
    "amount_cents",
    "voids",
    "refunds",
    "no_sales",
    "cash_tenders",
    "distinct_employees",
)
OUTPUT = ("device_id", "store_id", "hour", "score", "alert", "episode_id", "top_dimension", "state")


class CsvFormatError(ValueError):
    """The input file cannot be read as device-hours; the message names the line and the column."""


def parse_hour(text: str) -> datetime:
    """ISO 8601, UTC (``Z`` or ``+00:00``), at the start of an hour."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None or value.utcoffset() is None or value.utcoffset().total_seconds() != 0:  # type: ignore[union-attr]
        raise ValueError("not UTC (end it with Z or +00:00)")
    if value.minute or value.second or value.microsecond:
        raise ValueError("not the start of an hour")
    return value.astimezone(UTC)


def read_hours(lines: Iterable[str]) -> Iterator[DeviceHour]:
    reader = csv.DictReader(lines)
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise CsvFormatError(f"line 1: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
    reader.fieldnames = header
    has_network = "network_events" in header
    seen: dict[tuple[str, datetime], int] = {}
    stores: dict[str, tuple[str, int]] = {}
    for number, raw in enumerate(reader, start=2):
        row = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        if None in raw:
            raise CsvFormatError(f"line {number}: more fields than the header has")
        yield _row(number, row, has_network, seen, stores)


def _row(number: int, row: dict[str, str], has_network: bool, seen, stores) -> DeviceHour:  # type: ignore[no-untyped-def]
    def fail(column: str, why: str) -> CsvFormatError:
        return CsvFormatError(f"line {number}: {column} {why}")

    device, store = row.get("device_id", ""), row.get("store_id", "")
    if not device:
        raise fail("device_id", "is empty")
    if not store:
        raise fail("store_id", "is empty")
    try:
        hour = parse_hour(row.get("hour", ""))
    except ValueError as exc:
        raise fail("hour", f"{row.get('hour', '')!r} is not an ISO 8601 UTC hour: {exc}") from None
    counts: dict[str, int] = {}
    for column in COUNTS:
        counts[column] = _count(row.get(column, ""), lambda why, c=column: fail(c, why))
    network = None
    if has_network and row.get("network_events", "") != "":
        network = _count(row["network_events"], lambda why: fail("network_events", why))
    gap_text = row.get("gap_minutes_mean", "")
    gap = None
    if gap_text != "":
        try:
            gap = float(gap_text)
        except ValueError:
            raise fail("gap_minutes_mean", f"{gap_text!r} is not a number") from None
        if not gap >= 0 or gap == float("inf"):
            raise fail("gap_minutes_mean", f"{gap_text!r} is negative or not finite")
    key = (device, hour)
    if key in seen:
        raise fail("hour", f"repeats device {device} at {hour.isoformat()} (first on line {seen[key]})")
    seen[key] = number
    first_store, first_line = stores.setdefault(device, (store, number))
    if first_store != store:
        raise fail(
            "store_id",
            f"{store!r} differs from {first_store!r} given for device {device} on line {first_line}",
        )
    return DeviceHour(
        device,
        store,
        hour,
        counts["transactions"],
        counts["amount_cents"],
        counts["voids"],
        counts["refunds"],
        counts["no_sales"],
        counts["cash_tenders"],
        gap,
        counts["distinct_employees"],
        network,
    )


def _count(text: str, fail) -> int:  # type: ignore[no-untyped-def]
    if text == "":
        raise fail("is empty")
    try:
        value = int(text)
    except ValueError:
        raise fail(f"{text!r} is not a whole number") from None
    if value < 0:
        raise fail(f"is negative ({value})")
    return value


def iso(hour: datetime) -> str:
    return hour.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_scores(result: Result, out: IO[str]) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(OUTPUT)
    for d in result.devices:
        writer.writerow(
            [
                d.device_id,
                d.store_id,
                iso(d.hour),
                "" if d.score is None else f"{d.score:.4f}",
                int(d.alert),
                d.episode_id,
                d.top_dimension,
                d.state,
            ]
        )
    for s in result.stores:
        writer.writerow(
            [
                "",
                s.store_id,
                iso(s.hour),
                f"{s.score:.4f}",
                int(s.alert),
                s.episode_id,
                s.top_dimension,
                s.state,
            ]
        )


def write_hours(hours: Iterable[DeviceHour], out: IO[str]) -> None:
    """The input format, e.g. for a simulated device world."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow((*REQUIRED, *OPTIONAL))
    for h in hours:
        writer.writerow(
            [
                h.device_id,
                h.store_id,
                iso(h.hour),
                h.transactions,
                h.amount_cents,
                h.voids,
                h.refunds,
                h.no_sales,
                h.cash_tenders,
                "" if h.gap_minutes_mean is None else h.gap_minutes_mean,
                h.distinct_employees,
                "" if h.network_events is None else h.network_events,
            ]
        )
