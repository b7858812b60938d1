"""Escalation rules against hand-counted members: each rule fires at its threshold, not before."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.cases.domain.escalation import (
    DEFAULT_RULES,
    EscalationError,
    EscalationRule,
    Member,
    escalate,
    rule_config,
    rules_from_config,
)
from core.cases.domain.model import Severity
from tests.unit.cases.support import T0

LOW, MEDIUM, HIGH = Severity.LOW, Severity.MEDIUM, Severity.HIGH


def m(n: int, days: float, severity: Severity = LOW, rule: str = "Q-DM-01", session: str = "") -> Member:
    return Member(f"d{n}", rule, severity, T0 + timedelta(days=days), session or f"s{n}", "emp_1")


SHRINK = "Q-DS-01"
CASES = [
    ("one low stays low", [m(1, 0)], LOW, []),
    ("two low stay low", [m(1, 0), m(2, 1)], LOW, []),
    ("three low in 7 days → medium", [m(1, 0), m(2, 3), m(3, 7)], MEDIUM, ["repeated low"]),
    ("three low over 7 days and one second → low", [m(1, 0), m(2, 3), m(3, 7 + 1 / 86400)], LOW, []),
    (
        "info detections do not count as low",
        [m(1, 0, Severity.INFO), m(2, 1, Severity.INFO), m(3, 2)],
        LOW,
        [],
    ),
    ("a high member keeps the case high", [m(1, 0, HIGH), m(2, 1), m(3, 2)], HIGH, []),
    (
        "the best stretch counts, not the latest",
        [m(1, 0), m(2, 1), m(3, 2), m(4, 30)],
        MEDIUM,
        ["repeated low"],
    ),
    (
        "drawer shrink over 3 sessions in 14 days → high",
        [m(1, 0, rule=SHRINK), m(2, 6, rule=SHRINK), m(3, 13, rule=SHRINK)],
        HIGH,
        ["recurring drawer shrink"],  # no 7-day stretch holds 3, so low goes straight to high
    ),
    (
        "three shrinks in two sessions are not recurring",
        [
            m(1, 0, rule=SHRINK, session="a"),
            m(2, 1, rule=SHRINK, session="a"),
            m(3, 2, rule=SHRINK, session="b"),
        ],
        MEDIUM,
        ["repeated low"],
    ),
    (
        "three sessions over 15 days are not recurring",
        [m(1, 0, rule=SHRINK), m(2, 8, rule=SHRINK), m(3, 15, rule=SHRINK)],
        LOW,
        [],
    ),
    (
        "other rules' sessions do not count as shrink",
        [m(1, 0, MEDIUM, rule=SHRINK), m(2, 1, MEDIUM), m(3, 2, MEDIUM)],
        MEDIUM,
        [],
    ),
]


@pytest.mark.parametrize(("name", "members", "severity", "bumps"), CASES, ids=[c[0] for c in CASES])
def test_default_escalation(name: str, members: list[Member], severity: Severity, bumps: list[str]) -> None:
    result = escalate(members, DEFAULT_RULES)
    assert result.severity is severity
    assert [b.rule for b in result.bumps] == bumps
    assert result.base is Severity.highest([x.severity for x in members])


def test_every_bump_says_why_with_its_count_and_threshold() -> None:
    result = escalate(
        [m(1, 0, rule=SHRINK), m(2, 6, rule=SHRINK), m(3, 13, rule=SHRINK), m(4, 12.9, rule=SHRINK)]
    )
    low, shrink = result.bumps
    assert (low.before, low.after, shrink.before, shrink.after) == (LOW, MEDIUM, MEDIUM, HIGH)
    assert low.reason == "repeated low: 3 low-or-higher detections within 7 days (threshold 3) → medium"
    assert shrink.reason == (
        "recurring drawer shrink: 4 distinct drawer sessions of Q-DS-01 within 14 days (threshold 3) → high"
    )


def test_escalation_does_not_depend_on_member_order() -> None:
    members = [m(1, 0), m(2, 9), m(3, 3), m(4, 12), m(5, 5)]
    assert (
        escalate(members)
        == escalate(list(reversed(members)))
        == escalate(sorted(members, key=lambda x: x.detection_id))
    )


def test_a_tenant_configures_its_own_rules_and_bad_ones_are_refused() -> None:
    custom = rules_from_config(
        [{"name": "two mediums", "min_count": 2, "within_days": 1, "to": "high", "min_severity": "medium"}]
    )
    assert escalate([m(1, 0, MEDIUM), m(2, 0.5, MEDIUM)], custom).severity is HIGH
    assert escalate([m(1, 0, MEDIUM), m(2, 1.5, MEDIUM)], custom).severity is MEDIUM
    assert rules_from_config([rule_config(r) for r in DEFAULT_RULES]) == DEFAULT_RULES
    for bad, message in (
        ({"name": "x", "min_count": 1, "within_days": 7, "to": "high"}, "min_count must be at least 2"),
        (
            {"name": "x", "min_count": 3, "within_days": 0, "to": "high"},
            "within_days must be between 1 and 90",
        ),
        ({"name": "x", "min_count": 3, "within_days": 7, "to": "severe"}, "malformed"),
        ({"name": "x", "min_count": 3, "within_days": 7}, "malformed"),
        (
            {"name": "x", "min_count": 3, "within_days": 7, "to": "high", "distinct": "till"},
            "distinct must be",
        ),
    ):
        with pytest.raises(EscalationError, match=message):
            rules_from_config([bad])
    with pytest.raises(EscalationError):
        EscalationRule("x", 3, 91, HIGH)
