"""Per-rule outcome statistics: what investigators concluded about each rule's detections.

Over a window, per rule: ``hits`` (alerts Fox received, informational ones included), ``cases``
(distinct cases holding the rule's detections), the outcome counts of its detections in closed
cases, the false-positive rate (false positives / outcomes) and precision (confirmed fraud /
(confirmed fraud + false positives): of the detections judged either way, the share that was
fraud). Rates are None until there is something to divide by.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from core.cases.domain.model import Outcome


@dataclass(frozen=True, slots=True)
class Hit:
    rule_id: str
    case_id: str | None  # None for an informational alert
    outcome: Outcome | None  # the case's outcome once it is closed


@dataclass(frozen=True, slots=True)
class RuleStats:
    rule_id: str
    hits: int
    cases: int
    outcomes: dict[str, int] = field(default_factory=dict)

    @property
    def judged(self) -> int:
        return sum(self.outcomes.values())

    @property
    def false_positive_rate(self) -> float | None:
        return self.outcomes.get(Outcome.FALSE_POSITIVE, 0) / self.judged if self.judged else None

    @property
    def precision(self) -> float | None:
        fraud = self.outcomes.get(Outcome.CONFIRMED_FRAUD, 0)
        decided = fraud + self.outcomes.get(Outcome.FALSE_POSITIVE, 0)
        return fraud / decided if decided else None


def rule_stats(hits: Iterable[Hit]) -> list[RuleStats]:
    """Statistics per rule, sorted by rule id."""
    count: dict[str, int] = defaultdict(int)
    cases: dict[str, set[str]] = defaultdict(set)
    outcomes: dict[str, dict[str, int]] = defaultdict(lambda: {o.value: 0 for o in Outcome})
    for hit in hits:
        count[hit.rule_id] += 1
        if hit.case_id is not None:
            cases[hit.rule_id].add(hit.case_id)
        if hit.outcome is not None:
            outcomes[hit.rule_id][hit.outcome.value] += 1
    return [RuleStats(rule, count[rule], len(cases[rule]), dict(outcomes[rule])) for rule in sorted(count)]
