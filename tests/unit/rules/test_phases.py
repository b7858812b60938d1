"""Deployment phases (Q.7): the calendar and the rules' modes, side by side."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.rules.model import Mode
from core.rules.phases import Phase, assess, phase_on

CUTOVER = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
RULES = ("Q-VR-01", "Q-VR-02", "Q-DS-01", "Q-IS-01")


@pytest.mark.parametrize(
    ("day", "phase"),
    [
        (0, Phase.BACKFILL),
        (1, Phase.OBSERVATION),
        (7, Phase.OBSERVATION),
        (8, Phase.TUNING),
        (30, Phase.TUNING),
        (31, Phase.STEADY),
        (400, Phase.STEADY),
    ],
)
def test_the_calendar_maps_days_since_cutover_to_the_runbook_phases(day: int, phase: Phase) -> None:
    assert phase_on(day) is phase


def _status(days: float, modes: dict[str, Mode], applicable: set[str], pinned: bool = True):  # type: ignore[no-untyped-def]
    return assess(
        "m_1",
        cutover_at=CUTOVER,
        now=CUTOVER + timedelta(days=days),
        rule_modes={r: modes.get(r, Mode.DRY_RUN) for r in RULES},
        applicable=frozenset(applicable),
        catalog_pinned=pinned,
    )


def test_a_new_tenant_is_told_to_backfill_and_dry_run_and_to_pin_its_catalog() -> None:
    status = _status(0.5, {}, set(RULES), pinned=False)
    assert status.phase is Phase.BACKFILL
    assert status.modes == {"dry_run": 4, "observation": 0, "alerting": 0}
    assert any("pin the catalog" in a for a in status.actions)
    assert any("backfill" in a for a in status.actions)


def test_rules_the_substrate_cannot_feed_are_counted_apart_and_not_nagged_about() -> None:
    status = _status(40, {"Q-VR-01": Mode.ALERTING, "Q-VR-02": Mode.ALERTING}, {"Q-VR-01", "Q-VR-02"})
    assert status.phase is Phase.STEADY
    assert status.not_applicable == 2
    assert status.modes["alerting"] == 2
    assert status.actions == []


def test_an_observation_week_with_nothing_promoted_asks_for_promotions() -> None:
    assert any("promote the low-noise rules" in a for a in _status(3, {}, set(RULES)).actions)
    observed = _status(3, {"Q-VR-01": Mode.OBSERVATION}, set(RULES))
    assert not any("promote the low-noise" in a for a in observed.actions)


def test_steady_state_names_the_applicable_rules_still_not_alerting() -> None:
    status = _status(45, {"Q-VR-01": Mode.ALERTING, "Q-VR-02": Mode.OBSERVATION}, set(RULES))
    assert status.day == 45
    assert any("3 applicable rule(s) not alerting" in a for a in status.actions)


def test_no_applicable_rule_points_at_ingestion_first() -> None:
    assert any("check ingestion" in a for a in _status(10, {}, set()).actions)
