"""Allow-list entries: validation, scope matching, time windows and expiry (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.rules.allow_lists import AllowListEntry, AllowListError, find, parse_time_window, validate_new
from core.rules.catalog import default_catalog
from core.rules.model import Scope, Subject

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
DM01 = default_catalog().get("Q-DM-01")
TM01 = default_catalog().get("Q-TM-01")


def entry(scope: dict[Scope, str], expires: datetime, revoked: datetime | None = None) -> AllowListEntry:
    return AllowListEntry(
        id="e1",
        rule_id="Q-TM-01",
        scope=scope,
        reason="farmers market tent",
        expires_at=expires,
        created_at=NOW,
        created_by="gm",
        revoked_at=revoked,
    )


@pytest.mark.parametrize(
    ("scope", "reason", "expires", "message"),
    [
        ({"customer_tier": "WHOLESALE"}, "wholesale pricing agreed", None, "needs an expiry"),
        (
            {"customer_tier": "WHOLESALE"},
            "wholesale pricing agreed",
            NOW + timedelta(days=400),
            "more than 365 days away",
        ),
        (
            {"customer_tier": "WHOLESALE"},
            "wholesale pricing agreed",
            NOW - timedelta(days=1),
            "not in the future",
        ),
        ({"customer_tier": "WHOLESALE"}, "ok", NOW + timedelta(days=30), "needs a reason"),
        ({}, "wholesale pricing agreed", NOW + timedelta(days=30), "needs a scope"),
        (
            {"vendor": "GROWER1"},
            "wholesale pricing agreed",
            NOW + timedelta(days=30),
            "cannot be allow-listed by vendor",
        ),
        ({"planet": "mars"}, "wholesale pricing agreed", NOW + timedelta(days=30), "unknown scope 'planet'"),
        (
            {"customer_tier": "WHOLESALE"},
            "wholesale pricing agreed",
            datetime(2026, 6, 1),
            "needs a time zone",
        ),
    ],
)
def test_an_entry_is_refused_with_a_clear_error(
    scope: dict[str, str], reason: str, expires: datetime | None, message: str
) -> None:
    with pytest.raises(AllowListError, match=message):
        validate_new(DM01, scope, reason, expires, NOW)


def test_a_valid_entry_is_accepted_with_its_scopes_parsed() -> None:
    parsed = validate_new(
        TM01,
        {"station": "sq:device:TENT", "time_window": "FRI,SAT"},
        "farmers market tent",
        NOW + timedelta(days=90),
        NOW,
    )
    assert parsed == {Scope.STATION: "sq:device:TENT", Scope.TIME_WINDOW: "FRI,SAT"}


def test_an_entry_applies_before_its_expiry_and_not_after_or_once_revoked() -> None:
    held = entry({Scope.STATION: "s1"}, NOW + timedelta(days=1))
    subject = Subject(station_id="s1")
    assert find([held], subject, NOW) is held
    assert find([held], subject, NOW + timedelta(days=2)) is None
    assert find([entry({Scope.STATION: "s1"}, NOW + timedelta(days=1), revoked=NOW)], subject, NOW) is None


def test_every_scope_of_an_entry_must_match() -> None:
    held = entry({Scope.STATION: "tent", Scope.TIME_WINDOW: "FRI,SAT"}, NOW + timedelta(days=30))
    assert find([held], Subject(station_id="tent", local_time="2026-05-08T10:00:00"), NOW) is held  # a Friday
    assert (
        find([held], Subject(station_id="tent", local_time="2026-05-06T10:00:00"), NOW) is None
    )  # Wednesday
    assert find([held], Subject(station_id="till", local_time="2026-05-08T10:00:00"), NOW) is None


@pytest.mark.parametrize(
    ("window", "local", "inside"),
    [
        ("FRI,SAT", "2026-05-09T23:59:00", True),
        ("MON-FRI 06:00-09:30", "2026-05-04T09:29:00", True),
        ("MON-FRI 06:00-09:30", "2026-05-04T09:30:00", False),
        ("22:00-02:00", "2026-05-04T01:00:00", True),
        ("22:00-02:00", "2026-05-04T12:00:00", False),
        ("SAT-MON", "2026-05-04T12:00:00", True),
        ("2026-06-13", "2026-06-13T08:00:00", True),
        ("2026-06-13", "2026-06-14T08:00:00", False),
        ("FRI 08:00-12:00", "2026-05-08", False),  # a day-only time cannot match an hours window
    ],
)
def test_time_windows_read_the_stores_wall_clock(window: str, local: str, inside: bool) -> None:
    assert parse_time_window(window).contains(local) is inside


def test_an_unreadable_time_window_says_how_to_write_one() -> None:
    with pytest.raises(AllowListError, match="use days like FRI,SAT"):
        parse_time_window("weekends")


def test_customer_tier_scopes_compare_without_case() -> None:
    held = AllowListEntry(
        id="e",
        rule_id="Q-DM-01",
        scope={Scope.CUSTOMER_TIER: "wholesale"},
        reason="trade tier",
        expires_at=NOW + timedelta(days=1),
        created_at=NOW,
        created_by="gm",
    )
    assert find([held], Subject(customer_tier="WHOLESALE"), NOW) is held
