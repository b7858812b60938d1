"""Escalation: a case's severity is the highest of its detections, bumped by count rules.

A count rule says "at least N matching detections within D days → severity S", where matching means
at least a given severity and, optionally, from given rules; ``distinct`` counts distinct values
of a subject field instead (recurring drawer shrink counts distinct drawer sessions). The count is
taken over the best D-day stretch of the case's members, so it depends only on which detections
the case holds, never on the order they arrived in. Each bump carries the reason it happened.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.cases.domain.model import FoxError, Severity

MAX_DAYS = 90


class EscalationError(FoxError, ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Member:
    """What escalation reads of a detection in a case."""

    detection_id: str
    rule_id: str
    severity: Severity
    occurred_at: datetime
    drawer_session_id: str = ""
    employee_id: str = ""


DISTINCT_FIELDS = ("drawer_session_id", "employee_id")


@dataclass(frozen=True, slots=True)
class EscalationRule:
    name: str
    min_count: int
    within_days: int
    to: Severity
    min_severity: Severity = Severity.LOW
    rule_ids: tuple[str, ...] = ()
    distinct: str = ""  # a Member field whose distinct values are counted, or "" for detections

    def __post_init__(self) -> None:
        if self.min_count < 2:
            raise EscalationError(f"{self.name}: min_count must be at least 2")
        if not 1 <= self.within_days <= MAX_DAYS:
            raise EscalationError(f"{self.name}: within_days must be between 1 and {MAX_DAYS}")
        if self.distinct and self.distinct not in DISTINCT_FIELDS:
            raise EscalationError(f"{self.name}: distinct must be one of {', '.join(DISTINCT_FIELDS)}")

    def matches(self, member: Member) -> bool:
        return member.severity.rank >= self.min_severity.rank and (
            not self.rule_ids or member.rule_id in self.rule_ids
        )

    def describe(self, count: int) -> str:
        what = (
            f"distinct {self.distinct.removesuffix('_id').replace('_', ' ')}s"
            if self.distinct
            else (f"{self.min_severity.value}-or-higher detections")
        )
        rules = f" of {', '.join(self.rule_ids)}" if self.rule_ids else ""
        return (
            f"{self.name}: {count} {what}{rules} within {self.within_days} days "
            f"(threshold {self.min_count}) → {self.to.value}"
        )


DEFAULT_RULES: tuple[EscalationRule, ...] = (
    EscalationRule("repeated low", 3, 7, Severity.MEDIUM, Severity.LOW),
    EscalationRule(
        "recurring drawer shrink", 3, 14, Severity.HIGH, Severity.LOW, ("Q-DS-01",), "drawer_session_id"
    ),
)


@dataclass(frozen=True, slots=True)
class Bump:
    rule: str
    before: Severity
    after: Severity
    reason: str


@dataclass(frozen=True, slots=True)
class Escalation:
    base: Severity  # the highest severity of the members
    severity: Severity  # after every bump
    bumps: tuple[Bump, ...] = field(default_factory=tuple)


def best_count(rule: EscalationRule, members: Sequence[Member]) -> int:
    """The most matching detections (or distinct values) inside any ``within_days`` stretch."""
    chosen = sorted((m for m in members if rule.matches(m)), key=lambda m: (m.occurred_at, m.detection_id))
    span = timedelta(days=rule.within_days)
    values: Counter[str] = Counter()
    best, start = 0, 0
    for member in chosen:
        values[getattr(member, rule.distinct) if rule.distinct else member.detection_id] += 1
        while member.occurred_at - chosen[start].occurred_at > span:
            old = chosen[start]
            key = getattr(old, rule.distinct) if rule.distinct else old.detection_id
            values[key] -= 1
            if values[key] == 0:
                del values[key]
            start += 1
        best = max(best, len([k for k in values if k]))
    return best


def escalate(members: Sequence[Member], rules: Sequence[EscalationRule] = DEFAULT_RULES) -> Escalation:
    base = Severity.highest([m.severity for m in members])
    severity, bumps = base, []
    for rule in sorted(rules, key=lambda r: (r.to.rank, r.name)):
        count = best_count(rule, members)
        if count >= rule.min_count and rule.to.rank > severity.rank:
            bumps.append(Bump(rule.name, severity, rule.to, rule.describe(count)))
            severity = rule.to
    return Escalation(base, severity, tuple(bumps))


def rules_from_config(items: Sequence[dict[str, object]]) -> tuple[EscalationRule, ...]:
    """A tenant's escalation rules from their stored JSON form; a bad entry names its problem."""
    built = []
    for item in items:
        try:
            built.append(
                EscalationRule(
                    name=str(item["name"]),
                    min_count=int(item["min_count"]),  # type: ignore[call-overload]
                    within_days=int(item["within_days"]),  # type: ignore[call-overload]
                    to=Severity(str(item["to"])),
                    min_severity=Severity(str(item.get("min_severity", "low"))),
                    rule_ids=tuple(str(r) for r in item.get("rule_ids", ()) or ()),  # type: ignore[attr-defined]
                    distinct=str(item.get("distinct", "") or ""),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, EscalationError):
                raise
            raise EscalationError(f"escalation rule {item.get('name', '?')!r} is malformed: {exc}") from None
    return tuple(built)


def rule_config(rule: EscalationRule) -> dict[str, object]:
    return {
        "name": rule.name,
        "min_count": rule.min_count,
        "within_days": rule.within_days,
        "to": rule.to.value,
        "min_severity": rule.min_severity.value,
        "rule_ids": list(rule.rule_ids),
        "distinct": rule.distinct,
    }
