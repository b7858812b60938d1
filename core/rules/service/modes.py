"""Modes and the readiness check (Q.4.5, Q.7).

Promotion (dry-run → observation → alerting) needs evidence: a dry run over recent history with its
hit count and, once investigators have closed cases, the false-positive rate. Demotion needs none;
any rule can be demoted alone, at once. A promotion that fails the check is refused with its reasons
unless the operator forces it, which is logged as forced.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.rules.model import Mode
from core.rules.service.views import Readiness

FALSE_POSITIVE = "false_positive"
OUTCOMES = ("confirmed_fraud", "training_issue", FALSE_POSITIVE, "unactionable")


@dataclass(frozen=True)
class ReadinessPolicy:
    lookback_days: int = 14
    min_events: int = 1  # a dry run over no data proves nothing
    max_hits_per_day: float = 25.0  # more is noise an analyst will learn to ignore
    min_outcomes: int = 5  # outcomes needed before the false-positive rate is judged
    max_false_positive_rate: float = 0.5


def direction(current: Mode, target: Mode) -> str:
    if target.rank > current.rank:
        return "promote"
    if target.rank < current.rank:
        return "demote"
    return "same"


def assess(
    *,
    events: int,
    hits: int,
    days: float,
    outcomes: int,
    false_positives: int,
    applicable: bool,
    missing: str,
    policy: ReadinessPolicy,
) -> Readiness:
    reasons = []
    if not applicable:
        reasons.append(missing)
    if events < policy.min_events:
        reasons.append(f"no events in the last {policy.lookback_days} days to dry-run against")
    per_day = hits / max(days, 1.0)
    if per_day > policy.max_hits_per_day:
        reasons.append(
            f"{per_day:.1f} hits a day in the dry run (at most {policy.max_hits_per_day:g}): tune first"
        )
    rate = false_positives / outcomes if outcomes else None
    if rate is not None and outcomes >= policy.min_outcomes and rate > policy.max_false_positive_rate:
        reasons.append(
            f"false-positive rate {rate:.0%} over {outcomes} closed outcomes "
            f"(at most {policy.max_false_positive_rate:.0%})"
        )
    return Readiness(
        ready=not reasons,
        reasons=reasons,
        lookback_days=policy.lookback_days,
        events=events,
        hits=hits,
        hits_per_day=round(per_day, 2),
        outcomes=outcomes,
        false_positive_rate=rate,
    )
