"""Bundling policies, their fallbacks, the window edges and the queue routing, table-driven."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.cases.domain.bundling import (
    DEFAULT_POLICIES,
    BundleBy,
    BundlingPolicy,
    PolicyError,
    Span,
    bundle_key,
    policy_for,
    within,
)
from core.cases.domain.model import Alert, CaseQueue, InvalidAlertError
from core.cases.domain.queues import route
from tests.unit.cases.support import T0, alert

FRAUD = CaseQueue.FRAUD

# policy, two alerts (as field overrides of the default alert), same case key?
SAME_KEY = [
    ("session: same employee, same session", BundleBy.EMPLOYEE_SESSION, {}, {}, True),
    ("session: another session", BundleBy.EMPLOYEE_SESSION, {}, {"drawer_session_id": "sess_2"}, False),
    ("session: another employee", BundleBy.EMPLOYEE_SESSION, {}, {"employee_id": "emp_2"}, False),
    (
        "day: two sessions, same day",
        BundleBy.EMPLOYEE_DAY,
        {},
        {"drawer_session_id": "sess_2", "hours": 8},
        True,
    ),
    ("day: next day", BundleBy.EMPLOYEE_DAY, {}, {"hours": 24}, False),
    ("day: another store", BundleBy.EMPLOYEE_DAY, {}, {"location_id": "store_2"}, False),
    (
        "employee: across sessions and days",
        BundleBy.EMPLOYEE,
        {},
        {"drawer_session_id": "s9", "hours": 72},
        True,
    ),
    ("device: two employees on one register", BundleBy.DEVICE, {}, {"employee_id": "emp_2"}, True),
    ("device: another register", BundleBy.DEVICE, {}, {"station_id": "reg_2"}, False),
    ("customer: two employees, one customer", BundleBy.CUSTOMER, {}, {"employee_id": "emp_2"}, True),
    ("customer: another customer", BundleBy.CUSTOMER, {}, {"customer_id": "cust_2"}, False),
    ("store: everything in the store", BundleBy.STORE, {}, {"employee_id": "e2", "station_id": "r2"}, True),
    ("store: another store", BundleBy.STORE, {}, {"location_id": "store_2"}, False),
    ("rule key: the rule's own key", BundleBy.RULE_KEY, {}, {"employee_id": "emp_2"}, True),
    ("none: every detection alone", BundleBy.NONE, {}, {}, False),
    ("another family never shares a case", BundleBy.EMPLOYEE, {}, {"family": "discount_markdown"}, False),
]


@pytest.mark.parametrize(("name", "by", "first", "second", "same"), SAME_KEY, ids=[c[0] for c in SAME_KEY])
def test_each_policy_keys_alerts_by_its_subject_fields(
    name: str, by: BundleBy, first: dict[str, object], second: dict[str, object], same: bool
) -> None:
    policy = BundlingPolicy(by, 24)
    a, b = alert(1, **first), alert(2, **second)  # type: ignore[arg-type]
    assert (bundle_key(a, FRAUD, policy).key == bundle_key(b, FRAUD, policy).key) is same


FALLBACKS = [
    (
        "no session falls back to the employee's day",
        BundleBy.EMPLOYEE_SESSION,
        {"drawer_session_id": ""},
        BundleBy.EMPLOYEE_DAY,
    ),
    (
        "no employee falls back to the rule's key",
        BundleBy.EMPLOYEE_DAY,
        {"employee_id": ""},
        BundleBy.RULE_KEY,
    ),
    ("no customer falls back to the rule's key", BundleBy.CUSTOMER, {"customer_id": ""}, BundleBy.RULE_KEY),
    ("no register falls back to the rule's key", BundleBy.DEVICE, {"station_id": ""}, BundleBy.RULE_KEY),
    ("a one-store merchant still bundles by register", BundleBy.DEVICE, {"location_id": ""}, BundleBy.DEVICE),
    (
        "nothing to key on: the detection alone",
        BundleBy.STORE,
        {"location_id": "", "rule_bundle_key": ""},
        BundleBy.NONE,
    ),
]


@pytest.mark.parametrize(("name", "by", "fields", "basis"), FALLBACKS, ids=[c[0] for c in FALLBACKS])
def test_a_missing_subject_field_falls_back_and_records_the_basis(
    name: str, by: BundleBy, fields: dict[str, str], basis: BundleBy
) -> None:
    assert bundle_key(alert(**fields), FRAUD, BundlingPolicy(by, 24)).basis is basis


WINDOW = timedelta(hours=24)
EDGES = [
    ("inside the span", 5, True),
    ("exactly the window after the last alert", 10 + 24, True),
    ("one second past the window", 10 + 24 + 1 / 3600, False),
    ("exactly the window before the first alert", -24, True),
    ("one second before the window", -24 - 1 / 3600, False),
]


@pytest.mark.parametrize(("name", "hours", "joins"), EDGES, ids=[c[0] for c in EDGES])
def test_the_window_is_inclusive_at_both_edges(name: str, hours: float, joins: bool) -> None:
    span = Span(T0, T0 + timedelta(hours=10))
    assert within(span, T0 + timedelta(hours=hours), WINDOW) is joins


def test_family_defaults_bundle_void_clusters_per_session_and_drawer_shrink_per_employee() -> None:
    assert DEFAULT_POLICIES["void_return"].by is BundleBy.EMPLOYEE_SESSION
    assert DEFAULT_POLICIES["drawer_session"] == BundlingPolicy(BundleBy.EMPLOYEE, 24 * 14)
    tenant = {
        "void_return": BundlingPolicy(BundleBy.EMPLOYEE_DAY, 48),
        "*": BundlingPolicy(BundleBy.STORE, 12),
    }
    assert policy_for("void_return", tenant) == BundlingPolicy(BundleBy.EMPLOYEE_DAY, 48)
    assert policy_for("drawer_session", tenant) == DEFAULT_POLICIES["drawer_session"]
    assert policy_for("unheard_of", tenant) == BundlingPolicy(BundleBy.STORE, 12)
    assert policy_for("unheard_of", {}) == DEFAULT_POLICIES["*"]


@pytest.mark.parametrize("hours", [0, 24 * 90 + 1])
def test_a_window_outside_its_bounds_is_refused(hours: int) -> None:
    with pytest.raises(PolicyError, match="window_hours must be between 1 and 2160"):
        BundlingPolicy(BundleBy.EMPLOYEE, hours)


ROUTES = [
    ("a fraud rule opens a fraud case", {}, CaseQueue.FRAUD),
    (
        "cash-paid receivers go to review",
        {"rule_id": "Q-IS-02", "family": "inventory_shrink"},
        CaseQueue.REVIEW,
    ),
    ("even if mislabelled fraud", {"rule_id": "Q-IS-02", "queue": "fraud"}, CaseQueue.REVIEW),
    ("dead-count trend opens no case", {"rule_id": "Q-IS-04", "queue": "fraud"}, None),
    ("override frequency opens no case", {"rule_id": "Q-AT-03"}, None),
    ("any trend-queue alert opens no case", {"queue": "trend"}, None),
    ("a review-queue alert is reviewed", {"queue": "review"}, CaseQueue.REVIEW),
]


@pytest.mark.parametrize(("name", "fields", "queue"), ROUTES, ids=[c[0] for c in ROUTES])
def test_routing_keeps_review_and_informational_rules_out_of_the_fraud_queue(
    name: str, fields: dict[str, str], queue: CaseQueue | None
) -> None:
    assert route(alert(**fields)) is queue


def test_review_and_fraud_alerts_never_share_a_case() -> None:
    policy = BundlingPolicy(BundleBy.STORE, 24)
    assert bundle_key(alert(), CaseQueue.REVIEW, policy).key != bundle_key(alert(), FRAUD, policy).key


def test_an_alert_parses_from_stream_fields_and_bad_ones_say_what_is_wrong() -> None:
    fields = {
        "detection_id": "d1",
        "rule_id": "Q-VR-03",
        "severity": "low",
        "queue": "fraud",
        "family": "void_return",
        "occurred_at": T0.isoformat(),
        "employee_id": "e1",
        "revision": "2",
    }
    parsed = Alert.from_fields(fields)
    assert (parsed.occurred_at, parsed.revision, parsed.message_key) == (T0, 2, "d1:2")
    assert Alert.from_fields({**fields, "revision": ""}).message_key == "d1:0"
    for broken, message in (
        ({"severity": "dire"}, "unknown severity"),
        ({"occurred_at": "yesterday"}, "unreadable occurred_at"),
        ({"occurred_at": "2026-05-04T09:00:00"}, "no time zone"),
        ({"detection_id": ""}, "without detection_id"),
        ({"revision": "x"}, "whole number"),
    ):
        with pytest.raises(InvalidAlertError, match=message):
            Alert.from_fields({**fields, **broken})
