"""Every rule's table-driven cases, Square- and Counterpoint-shaped, through the engine."""

from __future__ import annotations

import re

import pytest

from core.rules.backtest import run_case
from core.rules.engine import Engine
from core.rules.model import Case, Rule
from tests.rules_cases import catalog

CATALOG = catalog()
ENGINE = Engine(CATALOG)
CASES = [(rule, case) for rule in CATALOG.all() for case in rule.cases]


@pytest.mark.parametrize(("rule", "case"), CASES, ids=[f"{r.id} {c.source.slug}: {c.name}" for r, c in CASES])
def test_rule_case(rule: Rule, case: Case) -> None:
    found = run_case(ENGINE, rule, case)
    assert len(found) == case.expect, [e.finding.summary for e in found]
    for evaluation in found:
        assert evaluation.rule.id == rule.id
        assert evaluation.finding.evidence, "a finding carries the rows it read"
        assert evaluation.finding.summary
        assert "cents" not in evaluation.finding.summary, "money in prose reads as currency"


def test_a_positive_case_stops_firing_when_its_threshold_is_raised() -> None:
    rule = CATALOG.get("Q-DS-01")
    short = next(c for c in rule.cases if c.positive and c.source.slug == "square")
    assert len(run_case(ENGINE, rule, short)) == 1
    raised = Case(short.name, short.source, short.events, 0, {"gap_cents": 5_000, "gap_pct": 50.0})
    assert run_case(ENGINE, rule, raised) == []


def test_the_money_in_a_summary_reads_as_currency() -> None:
    """A drawer gap, a void, a split ticket: what a person reads is dollars, the measurements stay cents."""
    summaries: dict[str, str] = {}
    for rule, case in CASES:
        if case.positive and rule.id not in summaries:
            found = run_case(ENGINE, rule, case)
            if found and re.search(r"\$\d", found[0].finding.summary):
                summaries[rule.id] = found[0].finding.summary
    assert {"Q-DS-01"} <= summaries.keys(), summaries
    assert len(summaries) >= 5, summaries
    assert re.search(r"drawer (short|over) by \$\d+\.\d\d \(", summaries["Q-DS-01"]), summaries
