"""Outcome statistics and the digest, against values counted by hand."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.cases.domain.digest import CaseFact, Period, build, render_html, render_text
from core.cases.domain.model import CaseState, Outcome, Severity
from core.cases.domain.stats import Hit, rule_stats
from tests.unit.cases.support import T0

FP, FRAUD, TRAINING, UNACT = (
    Outcome.FALSE_POSITIVE,
    Outcome.CONFIRMED_FRAUD,
    Outcome.TRAINING_ISSUE,
    Outcome.UNACTIONABLE,
)


def test_rule_stats_count_hits_cases_outcomes_and_rates() -> None:
    hits = [
        # Q-VR-03: 5 hits in 3 cases; c1 (2 detections) confirmed fraud, c2 false positive, c3 open.
        Hit("Q-VR-03", "c1", FRAUD),
        Hit("Q-VR-03", "c1", FRAUD),
        Hit("Q-VR-03", "c2", FP),
        Hit("Q-VR-03", "c3", None),
        Hit("Q-VR-03", "c3", None),
        # Q-DM-01: 4 hits, 4 cases: fp, fp, training, unactionable.
        Hit("Q-DM-01", "d1", FP),
        Hit("Q-DM-01", "d2", FP),
        Hit("Q-DM-01", "d3", TRAINING),
        Hit("Q-DM-01", "d4", UNACT),
        # Q-IS-04: informational, never in a case.
        Hit("Q-IS-04", None, None),
        Hit("Q-IS-04", None, None),
    ]
    vr, dm, info = sorted(rule_stats(hits), key=lambda s: ["Q-VR-03", "Q-DM-01", "Q-IS-04"].index(s.rule_id))
    assert (vr.hits, vr.cases, vr.judged, vr.outcomes[FRAUD], vr.outcomes[FP]) == (5, 3, 3, 2, 1)
    assert vr.false_positive_rate == pytest.approx(1 / 3)
    assert vr.precision == pytest.approx(2 / 3)
    assert (dm.hits, dm.cases, dm.judged) == (4, 4, 4)
    assert dm.false_positive_rate == pytest.approx(0.5)
    assert dm.precision == 0.0  # two decided either way, both false positives
    assert (info.hits, info.cases, info.false_positive_rate, info.precision) == (2, 0, None, None)
    assert [s.rule_id for s in rule_stats(hits)] == ["Q-DM-01", "Q-IS-04", "Q-VR-03"]


def fact(
    n: int,
    store: str,
    state: CaseState,
    severity: Severity,
    opened_h: float,
    closed_h: float | None = None,
    outcome: Outcome | None = None,
    rules: dict[str, int] | None = None,
) -> CaseFact:
    return CaseFact(
        f"case_{n}",
        f"case {n}",
        store,
        state,
        severity,
        T0 + timedelta(hours=opened_h),
        None if closed_h is None else T0 + timedelta(hours=closed_h),
        outcome,
        rules or {"Q-VR-03": 1},
    )


def test_the_daily_digest_counts_the_period_and_ranks_stores_by_severity() -> None:
    end = T0 + timedelta(days=1)
    facts = [
        fact(1, "north", CaseState.OPEN, Severity.HIGH, 1, rules={"Q-VR-03": 3}),
        fact(2, "north", CaseState.RESOLVED, Severity.MEDIUM, 2, 5, FRAUD, {"Q-DS-01": 1}),
        fact(3, "south", CaseState.IN_PROGRESS, Severity.MEDIUM, 3, rules={"Q-DM-01": 2, "Q-VR-03": 1}),
        fact(4, "south", CaseState.DISMISSED, Severity.LOW, -30, 6, FP),  # opened the day before
        fact(5, "south", CaseState.OPEN, Severity.MEDIUM, -40, rules={"Q-TM-01": 9}),  # older, still open
        fact(6, "east", CaseState.OPEN, Severity.LOW, 4, rules={"Q-ME-01": 1}),
        fact(7, "west", CaseState.OPEN, Severity.CRITICAL, 30),  # after the period
    ]
    d = build(facts, Period.DAILY, end)
    assert (d.opened, d.closed, d.confirmed_fraud_rate) == (4, 2, 0.5)
    assert d.top_patterns == (("Q-VR-03", 4), ("Q-DM-01", 2), ("Q-DS-01", 1))
    assert [(s.store, s.open_cases, s.highest, s.top_case_ids) for s in d.open_by_store] == [
        ("north", 1, Severity.HIGH, ("case_1",)),
        ("south", 2, Severity.MEDIUM, ("case_5", "case_3")),
        ("east", 1, Severity.LOW, ("case_6",)),
    ]
    text, page = render_text(d), render_html(d)
    assert "Cases opened: 4" in text
    assert "Confirmed-fraud rate: 50%" in text
    assert "north: 1 open, highest high (case_1)" in text
    assert "<li>Q-VR-03 (4)</li>" in page


def test_a_weekly_digest_spans_seven_days_and_escapes_store_names() -> None:
    facts = [fact(1, "<b>main</b>", CaseState.OPEN, Severity.LOW, -24 * 6)]
    d = build(facts, Period.WEEKLY, T0 + timedelta(hours=1))
    assert (d.start, d.opened, d.closed, d.confirmed_fraud_rate) == (
        T0 + timedelta(hours=1, days=-7),
        1,
        0,
        None,
    )
    assert "&lt;b&gt;main&lt;/b&gt;" in render_html(d)
    assert "<b>main</b>" not in render_html(d)
    assert "n/a (no case closed)" in render_text(d)
