"""A correction's windows (core/rules/refold.py): the keys an event's reading folds into, rebuilt
from the journal without the old reading, and an episode its correction superseded opened again."""

from __future__ import annotations

from core.domain.parsing import ParsedEvent
from core.rules import windows
from core.rules.backtest import run_events
from core.rules.engine import Engine, RuleSettings, TenantConfig, episode_detection_id
from core.rules.facts import Facts
from core.rules.model import Mode
from core.rules.refold import REFOLDED, horizon, refold, refolded, reopen_episodes, touched
from core.rules.state import RuleState
from core.simulate.canonical import L, at, square_txn
from tests.rules_cases import catalog

ENGINE = Engine(catalog())
CLUSTERS = TenantConfig(rules={"Q-VR-03": RuleSettings(Mode.OBSERVATION)}, only=frozenset({"Q-VR-03"}))


def _void(n: int, minutes: int) -> ParsedEvent:
    return square_txn(f"v{n}", at(minutes), [L("SEED", 800)], type="VOID").model_copy(
        update={"evidence_seq": n}
    )


def _facts(events: list[ParsedEvent]) -> list[Facts]:
    return [Facts.from_event(e) for e in events]


def test_every_refolded_window_has_a_fold_and_a_retention() -> None:
    assert [w.name for w in refolded()] == list(REFOLDED)
    assert all(w.fold is not None and w.retention for w in refolded())


def test_a_void_touches_its_clerks_session_in_the_voids_window_and_its_card_in_the_card_uses() -> None:
    [void] = _facts([_void(1, 0)])
    keys = touched([void])
    assert sorted(keys) == ["cards", "voids"]
    assert keys["cards"] == {void.tenders[0].card_fingerprint}
    [key] = keys["voids"]
    assert key.startswith(f"{void.transaction.employee_id}|")  # type: ignore[union-attr]


def test_refolding_without_a_retracted_void_leaves_the_others_and_keeps_other_keys() -> None:
    events = [_void(1, 0), _void(2, 10), _void(3, 20)]
    state = RuleState()
    run_events(ENGINE, events, CLUSTERS, state)
    windows.FIRED.put(state, "untouched", 1.0)
    [key] = touched(_facts(events[2:]))["voids"]
    assert [r[1] for r in state.get("voids", key)] == ["sq:order:v1", "sq:order:v2", "sq:order:v3"]

    keys = touched(_facts(events[2:]))
    assert horizon(state, keys, _facts(events[2:])) <= _facts(events[:1])[0].ts
    refold(state, _facts(events[:2]), keys)  # the journal without the retracted reading
    assert [r[1] for r in state.get("voids", key)] == ["sq:order:v1", "sq:order:v2"]
    assert windows.FIRED.get(state, "untouched") == 1.0
    refold(state, [], keys)  # nothing folds into the key any more: it is gone
    assert state.get("voids", key) is None


def test_a_superseded_episode_is_open_again_at_its_superseded_revision() -> None:
    state = RuleState()
    [found] = run_events(ENGINE, [_void(1, 0), _void(2, 10), _void(3, 20)], CLUSTERS, state)
    [(fired_key, held)] = [(k, v) for k, v in windows.FIRED.items(state) if "|episode|" in k]
    assert episode_detection_id(found.facts.merchant_id, fired_key) == found.detection_id
    assert reopen_episodes(state, found.facts.merchant_id, {"another": 4}) == 0
    assert reopen_episodes(state, found.facts.merchant_id, {found.detection_id: 1}) == 1
    assert windows.FIRED.get(state, fired_key) == [held[0], held[1], 1, 1]
    # the next finding for the episode revives it one revision on, although it has not grown
    refold(state, _facts([_void(1, 0), _void(2, 10)]), touched(_facts([_void(3, 20)])))
    [again] = run_events(ENGINE, [_void(4, 25)], CLUSTERS, state)
    assert (again.detection_id, again.revision, again.finding.measurements["voids"]) == (
        found.detection_id,
        2,
        3,
    )
