"""Rule state persists as JSON slices: a restarted engine continues where the last one stopped."""

from __future__ import annotations

from core.domain.parsing import ParsedEvent
from core.rules import windows
from core.rules.backtest import run_events
from core.rules.catalog import default_catalog
from core.rules.engine import Engine, RuleSettings, TenantConfig
from core.rules.model import Mode
from core.rules.state import RuleState, slice_name
from core.simulate.canonical import L, at, square_txn
from tests.rules_cases import catalog
from tests.rules_cases.tender import square_days

ENGINE = Engine(default_catalog())
ALL_ALERTING = TenantConfig(default_mode=Mode.ALERTING)


def restarted(state: RuleState) -> RuleState:
    """A new process: the state rebuilt from what was persisted, nothing else."""
    fresh = RuleState()
    fresh.load(state.dirty())
    return fresh


def summaries(events: list[ParsedEvent], state: RuleState | None = None) -> list[str]:
    return [f"{e.rule.id}: {e.finding.summary}" for e in run_events(ENGINE, events, ALL_ALERTING, state)]


def test_a_restart_between_events_changes_no_finding() -> None:
    events = [
        *square_days(5),
        *(square_txn(f"v{i}", at(10 * i, days=9), [L("S", 900)], type="VOID") for i in range(3)),
    ]
    straight = summaries(events)
    first = RuleState()
    head = summaries(events[:20], first)
    tail = summaries(events[20:], restarted(first))
    assert head + tail == straight
    assert any(s.startswith("Q-TM-01") for s in tail)
    assert any(s.startswith("Q-VR-03") for s in tail)


def test_without_the_persisted_state_a_restart_would_miss_the_finding() -> None:
    events = square_days(5)
    assert any(s.startswith("Q-TM-01") for s in summaries(events))
    assert not any(s.startswith("Q-TM-01") for s in summaries(events[20:], RuleState()))


def test_only_changed_slices_are_written() -> None:
    state = RuleState()
    run_events(ENGINE, [square_txn("a", at(), [L("S", 900)])], ALL_ALERTING, state)
    state.mark_clean()
    state.put("cards", "fp-1", [[1.0, None, None, "t"]])
    assert list(state.dirty()) == [slice_name("cards", "fp-1")]


def test_sweeping_drops_keys_older_than_their_retention() -> None:
    state = RuleState()
    state.put("cards", "old", [[0.0, "c", "l", "t"]])
    state.put("cards", "new", [[10 * windows.DAY, "c", "l", "t"]])
    dropped = state.sweep(10 * windows.DAY, windows.retention(), budget=100)
    assert dropped == 1
    assert state.get("cards", "old") is None
    assert state.get("cards", "new") is not None


def test_rule_memory_is_kept_per_rule_and_survives_a_restart() -> None:
    rule = catalog().get("Q-AT-03")
    events = next(c for c in rule.cases if c.positive).events()
    config = TenantConfig(rules={rule.id: RuleSettings(Mode.ALERTING)}, only=frozenset({rule.id}))
    state = RuleState()
    assert run_events(ENGINE, events[:-1], config, state) == []
    assert len(run_events(ENGINE, events[-1:], config, restarted(state))) == 1
