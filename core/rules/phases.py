"""Deployment phases per tenant (seed Q.7): where a merchant's rollout stands and what gates next.

The calendar comes from the tenant's cutover (when it was onboarded): day 0 is backfill + dry run,
days 1–7 observation, 8–30 tuning, 30+ steady state. The calendar alone says what *should* be
happening; the rules' modes say what *is*. ``assess`` puts the two side by side and names the gaps an
operator acts on (docs/deployment-phases.md is the runbook behind each line). Pure: no storage.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from core.rules.model import Mode


class Phase(StrEnum):
    BACKFILL = "day_0_backfill_dry_run"  # Q.7.1
    OBSERVATION = "days_1_7_observation"  # Q.7.2
    TUNING = "days_8_30_tuning"  # Q.7.3
    STEADY = "day_30_plus_steady_state"  # Q.7.4


def phase_on(day: int) -> Phase:
    if day < 1:
        return Phase.BACKFILL
    if day <= 7:
        return Phase.OBSERVATION
    if day <= 30:
        return Phase.TUNING
    return Phase.STEADY


@dataclass(frozen=True)
class DeploymentStatus:
    merchant_id: str
    cutover_at: datetime
    day: int
    phase: Phase
    modes: Mapping[str, int]  # mode → number of applicable rules in it
    not_applicable: int  # rules the tenant's substrate cannot feed (silent by necessity, not choice)
    catalog_pinned: bool
    actions: list[str] = field(default_factory=list)  # what the runbook asks for next, most urgent first


def assess(
    merchant_id: str,
    *,
    cutover_at: datetime,
    now: datetime,
    rule_modes: Mapping[str, Mode],
    applicable: frozenset[str],
    catalog_pinned: bool,
) -> DeploymentStatus:
    """``rule_modes`` is every catalog rule's mode for the tenant; ``applicable`` the rules its
    substrate supports (the scorecard's verdict)."""
    day = max(0, (now - cutover_at).days)
    phase = phase_on(day)
    counts = Counter(mode.value for rule, mode in rule_modes.items() if rule in applicable)
    modes = {m.value: counts.get(m.value, 0) for m in Mode}
    dry, observing, alerting = modes[Mode.DRY_RUN.value], modes[Mode.OBSERVATION.value], modes[Mode.ALERTING]
    actions: list[str] = []
    if not catalog_pinned:
        actions.append(
            "pin the catalog version (pin_catalog_version) so a newer catalog never changes this tenant"
        )
    if not applicable:
        actions.append(
            "no rule is applicable yet: check ingestion (substrate_scorecard) before anything else"
        )
    elif phase is Phase.BACKFILL:
        actions.append("backfill 24–72 h and dry_run_rule each applicable rule; note the noisy ones")
    elif phase is Phase.OBSERVATION and observing + alerting == 0:
        actions.append("promote the low-noise rules to observation (promote_rule runs the readiness check)")
    elif phase is Phase.TUNING:
        if dry:
            actions.append(f"{dry} applicable rule(s) still in dry_run: tune and promote, or record why not")
        if observing:
            actions.append(f"{observing} rule(s) in observation: review outcomes, promote the precise ones")
    elif phase is Phase.STEADY and dry + observing:
        actions.append(
            f"day {day}: {dry + observing} applicable rule(s) not alerting; steady state expects every "
            "planned rule in alerting (or a recorded decision to keep it out)"
        )
    return DeploymentStatus(
        merchant_id=merchant_id,
        cutover_at=cutover_at,
        day=day,
        phase=phase,
        modes=modes,
        not_applicable=len(set(rule_modes) - applicable),
        catalog_pinned=catalog_pinned,
        actions=actions,
    )
