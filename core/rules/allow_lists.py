"""Allow-list entries: what they name, when they apply, and the checks a new one must pass.

An entry names one rule and one or more scope conditions (all must match): ``{"customer_tier":
"WHOLESALE"}``, ``{"station": "cp:device:1/TENT", "time_window": "FRI,SAT"}``. Every entry has a
reason and an expiry no further out than the maximum (Q.4.2/Q.4.3): an allow-list is a decision with
a shelf life, and renewing it needs a fresh reason. An entry applies to an event that happened
before its expiry and is not revoked; expired entries stop applying on their own.

Time windows read the store's wall clock: ``"FRI,SAT"``, ``"MON-FRI 06:00-09:30"``, ``"22:00-02:00"``,
or dates ``"2026-06-13,2026-06-14"``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from core.rules.errors import ChirpError
from core.rules.model import Rule, Scope, Subject

MAX_EXPIRY_DAYS = 365
MIN_REASON_CHARS = 8
DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_HOURS = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


class AllowListError(ChirpError, ValueError):
    """An entry that cannot be accepted; the message says what to change."""


@dataclass(frozen=True)
class AllowListEntry:
    id: str
    rule_id: str
    scope: Mapping[Scope, str]
    reason: str
    expires_at: datetime
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None
    source: str = "operator"
    version: int = 1

    def applies_at(self, at: datetime) -> bool:
        return self.revoked_at is None and at < self.expires_at

    def describe(self) -> str:
        return ", ".join(f"{k.value}={v}" for k, v in sorted(self.scope.items()))


@dataclass(frozen=True)
class TimeWindow:
    days: frozenset[int] = frozenset()  # 0 = Monday
    dates: frozenset[str] = frozenset()
    start: int | None = None  # minutes after midnight
    end: int | None = None

    def contains(self, local_time: str) -> bool:
        day = local_time[:10]
        try:
            weekday = date.fromisoformat(day).weekday()
        except ValueError:
            return False
        if self.dates and day not in self.dates:
            return False
        if self.days and weekday not in self.days:
            return False
        if self.start is None or self.end is None:
            return True
        if len(local_time) < 16:
            return False  # the event has a day but no time: an hours window cannot match it
        minute = int(local_time[11:13]) * 60 + int(local_time[14:16])
        if self.start <= self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end


def parse_time_window(value: str) -> TimeWindow:
    days: set[int] = set()
    dates: set[str] = set()
    start = end = None
    for token in value.upper().replace(",", " ").split():
        hours = _HOURS.match(token)
        if hours:
            h1, m1, h2, m2 = (int(g) for g in hours.groups())
            if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59:
                raise AllowListError(f"time window {value!r}: hours out of range in {token!r}")
            start, end = h1 * 60 + m1, h2 * 60 + m2
        elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", token):
            try:
                date.fromisoformat(token)
            except ValueError:
                raise AllowListError(f"time window {value!r}: {token!r} is not a date") from None
            dates.add(token)
        elif "-" in token and all(part in DAYS for part in token.split("-", 1)):
            first, last = (DAYS.index(part) for part in token.split("-", 1))
            days.update(range(first, last + 1) if first <= last else [*range(first, 7), *range(0, last + 1)])
        elif token in DAYS:
            days.add(DAYS.index(token))
        else:
            raise AllowListError(
                f"time window {value!r}: cannot read {token!r} (use days like FRI,SAT or MON-FRI, hours "
                "like 06:00-09:30, or dates like 2026-06-13)"
            )
    if not (days or dates or start is not None):
        raise AllowListError(f"time window {value!r} names no days, dates or hours")
    return TimeWindow(frozenset(days), frozenset(dates), start, end)


def validate_new(
    rule: Rule,
    scope: Mapping[str, str],
    reason: str,
    expires_at: datetime | None,
    now: datetime,
    max_days: int = MAX_EXPIRY_DAYS,
) -> dict[Scope, str]:
    """The entry's scope, checked: a scope the rule accepts, a real reason, a mandatory expiry in the
    future and no further out than ``max_days``."""
    if not scope:
        raise AllowListError("an allow-list entry needs a scope, e.g. {'customer_tier': 'WHOLESALE'}")
    parsed: dict[Scope, str] = {}
    for key, value in scope.items():
        try:
            kind = Scope(key)
        except ValueError:
            raise AllowListError(
                f"unknown scope {key!r}; scopes are {', '.join(s.value for s in Scope)}"
            ) from None
        if kind not in rule.allow_scopes:
            allowed = ", ".join(s.value for s in rule.allow_scopes) or "none"
            raise AllowListError(f"{rule.id} cannot be allow-listed by {kind.value} (it accepts: {allowed})")
        if not isinstance(value, str) or not value.strip():
            raise AllowListError(f"scope {kind.value} needs a value")
        if kind is Scope.TIME_WINDOW:
            parse_time_window(value)
        parsed[kind] = value.strip()
    if len(reason.strip()) < MIN_REASON_CHARS:
        raise AllowListError(f"an allow-list entry needs a reason of at least {MIN_REASON_CHARS} characters")
    if expires_at is None:
        raise AllowListError(f"an allow-list entry needs an expiry (at most {max_days} days from now)")
    if expires_at.tzinfo is None:
        raise AllowListError("the expiry needs a time zone (e.g. 2027-04-25T00:00:00Z)")
    if expires_at <= now:
        raise AllowListError(f"the expiry {expires_at.isoformat()} is not in the future")
    if expires_at > now + timedelta(days=max_days):
        raise AllowListError(
            f"the expiry {expires_at.date().isoformat()} is more than {max_days} days away; the maximum is "
            f"{(now + timedelta(days=max_days)).date().isoformat()}"
        )
    return parsed


def matches(entry: AllowListEntry, subject: Subject) -> bool:
    return all(_matches(kind, value, subject) for kind, value in entry.scope.items())


def _matches(kind: Scope, value: str, subject: Subject) -> bool:
    if kind is Scope.ITEM:
        return value in subject.items
    if kind is Scope.CATEGORY:
        return value in subject.categories
    if kind is Scope.TIME_WINDOW:
        return subject.local_time is not None and parse_time_window(value).contains(subject.local_time)
    if kind is Scope.CUSTOMER_TIER:
        return subject.customer_tier is not None and subject.customer_tier.upper() == value.upper()
    attribute = {
        Scope.EMPLOYEE: subject.employee_id,
        Scope.CUSTOMER: subject.customer_id,
        Scope.STATION: subject.station_id,
        Scope.LOCATION: subject.location_id,
        Scope.VENDOR: subject.vendor_id,
    }[kind]
    return attribute == value


def find(entries: Iterable[AllowListEntry], subject: Subject, at: datetime) -> AllowListEntry | None:
    """The first entry (oldest first) that applies to a finding about ``subject`` at ``at``."""
    for entry in entries:
        if entry.applies_at(at) and matches(entry, subject):
            return entry
    return None
