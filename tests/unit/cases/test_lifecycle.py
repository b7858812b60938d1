"""The case state machine: every (state, action) pair, legal or not, and what each one needs."""

from __future__ import annotations

import itertools

import pytest

from core.cases.domain.lifecycle import ALLOWED, Action, TransitionError, transition
from core.cases.domain.model import CaseState, Outcome
from tests.unit.cases.support import T0

OPEN, IN_PROGRESS, RESOLVED, DISMISSED = CaseState
LEGAL = {
    (OPEN, Action.START): IN_PROGRESS,
    (OPEN, Action.DISMISS): DISMISSED,
    (IN_PROGRESS, Action.RESOLVE): RESOLVED,
    (IN_PROGRESS, Action.DISMISS): DISMISSED,
    (RESOLVED, Action.REOPEN): OPEN,
    (DISMISSED, Action.REOPEN): OPEN,
}
OUTCOME = {Action.RESOLVE: Outcome.CONFIRMED_FRAUD, Action.DISMISS: Outcome.FALSE_POSITIVE}
PAIRS = list(itertools.product(CaseState, Action))


@pytest.mark.parametrize(("state", "action"), PAIRS, ids=[f"{s.value}-{a.value}" for s, a in PAIRS])
def test_every_state_and_action(state: CaseState, action: Action) -> None:
    def attempt() -> object:
        return transition(
            "c1",
            state,
            action,
            actor="analyst:tok",
            at=T0,
            reason="looked at the tapes",
            outcome=OUTCOME.get(action),
        )

    if (state, action) in LEGAL:
        done = attempt()
        assert (done.from_state, done.to_state, done.actor, done.at) == (
            state,
            LEGAL[(state, action)],
            "analyst:tok",
            T0,
        )  # type: ignore[attr-defined]
    else:
        with pytest.raises(TransitionError, match=f"case c1 is {state.value}: it cannot be"):
            attempt()


def test_the_table_in_the_module_is_the_legal_set() -> None:
    assert {(s, a): t for a, (sources, t) in ALLOWED.items() for s in sources} == LEGAL


ERRORS = [
    ("resolve needs an outcome", IN_PROGRESS, Action.RESOLVE, {"reason": "done"}, "give an outcome"),
    (
        "resolve needs a reason",
        IN_PROGRESS,
        Action.RESOLVE,
        {"outcome": Outcome.TRAINING_ISSUE},
        "give a reason",
    ),
    (
        "a blank reason is no reason",
        OPEN,
        Action.DISMISS,
        {"outcome": Outcome.UNACTIONABLE, "reason": "   "},
        "give a reason",
    ),
    (
        "dismiss cannot confirm fraud",
        OPEN,
        Action.DISMISS,
        {"outcome": Outcome.CONFIRMED_FRAUD, "reason": "fraud!"},
        "resolve the case",
    ),
    ("reopen needs a reason", RESOLVED, Action.REOPEN, {}, "give a reason"),
    ("a resolved case must be reopened first", RESOLVED, Action.START, {}, "reopen it first"),
    (
        "an open case is started before it is resolved",
        OPEN,
        Action.RESOLVE,
        {"reason": "x" * 9, "outcome": Outcome.CONFIRMED_FRAUD},
        "start_investigation",
    ),
]


@pytest.mark.parametrize(("name", "state", "action", "extra", "message"), ERRORS, ids=[c[0] for c in ERRORS])
def test_refusals_say_what_is_missing_or_allowed(
    name: str, state: CaseState, action: Action, extra: dict[str, object], message: str
) -> None:
    with pytest.raises(TransitionError, match=message):
        transition("c1", state, action, actor="a", at=T0, **extra)  # type: ignore[arg-type]


def test_start_assigns_the_caller_unless_told_otherwise_and_reopen_clears_the_outcome() -> None:
    assert transition("c", OPEN, Action.START, actor="analyst:t1", at=T0).assignee == "analyst:t1"
    assert transition("c", OPEN, Action.START, actor="a", at=T0, assignee="dana").assignee == "dana"
    reopened = transition(
        "c", RESOLVED, Action.REOPEN, actor="a", at=T0, reason="new evidence", outcome=Outcome.CONFIRMED_FRAUD
    )
    assert reopened.outcome is None
    for outcome in Outcome:
        assert (
            transition(
                "c", IN_PROGRESS, Action.RESOLVE, actor="a", at=T0, reason="done", outcome=outcome
            ).outcome
            is outcome
        )
