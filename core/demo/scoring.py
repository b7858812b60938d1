"""Precision, recall, F1 and a cost-weighted score per rule and per family, from a ``Matching``.

Counts: **tp** and **fp** are detections (``matching.judge``'s verdicts; tolerated ones count as
neither); **found** and **missed** are positive labels. So precision = tp / (tp + fp) is "how often
an alert was right", recall = found / (found + missed) is "how many injected losses were caught".

Cost-weighted score: a false accusation of an employee costs more than a miss, so with
``FP_COST = 5`` and ``FN_COST = 1`` the score is found / (found + 5·fp + 1·missed), 1.0 when every
loss is caught with no false alarm and falling five times faster per false alarm than per miss.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from core.demo.matching import Label, Matching

FP_COST = 5
FN_COST = 1


@dataclass
class Score:
    name: str
    tp: int = 0
    fp: int = 0
    tolerated: int = 0
    found: int = 0
    missed: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.found / (self.found + self.missed) if self.found + self.missed else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def cost(self) -> int:
        return FP_COST * self.fp + FN_COST * self.missed

    @property
    def cost_weighted(self) -> float | None:
        denominator = self.found + self.cost
        return self.found / denominator if denominator else None

    def add(self, other: Score) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.tolerated += other.tolerated
        self.found += other.found
        self.missed += other.missed

    def as_dict(self) -> dict[str, object]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 3)

        return {
            "name": self.name,
            "tp": self.tp,
            "fp": self.fp,
            "tolerated": self.tolerated,
            "found": self.found,
            "missed": self.missed,
            "precision": rounded(self.precision),
            "recall": rounded(self.recall),
            "f1": rounded(self.f1),
            "cost": self.cost,
            "cost_weighted": rounded(self.cost_weighted),
        }


def per_rule(matching: Matching, labels: Iterable[Label]) -> dict[str, Score]:
    scores: dict[str, Score] = {}

    def of(rule: str) -> Score:
        return scores.setdefault(rule, Score(rule))

    for judged in matching.judged:
        score = of(judged.detection.rule_id)
        if judged.verdict == "true_positive":
            score.tp += 1
        elif judged.verdict == "false_positive":
            score.fp += 1
        else:
            score.tolerated += 1
    for label in labels:
        if label.polarity != "positive":
            of(label.rule_id)
            continue
        if matching.found.get(label.scenario_id):
            of(label.rule_id).found += 1
        else:
            of(label.rule_id).missed += 1
    return dict(sorted(scores.items()))


def grouped(scores: dict[str, Score], family_of: Callable[[str], str]) -> dict[str, Score]:
    """Sum rule scores into families (or any grouping ``family_of`` names)."""
    out: dict[str, Score] = {}
    for rule, score in scores.items():
        name = family_of(rule)
        out.setdefault(name, Score(name)).add(score)
    return dict(sorted(out.items()))


def total(scores: Iterable[Score], name: str = "all") -> Score:
    out = Score(name)
    for score in scores:
        out.add(score)
    return out
