"""The case state machine: open → in_progress → resolved | dismissed, and reopen.

| action   | from                  | to          | needs                                   |
|----------|-----------------------|-------------|-----------------------------------------|
| start    | open                  | in_progress | an assignee (the caller by default)     |
| resolve  | in_progress           | resolved    | an outcome and a reason                 |
| dismiss  | open, in_progress     | dismissed   | false_positive or unactionable, reason  |
| reopen   | resolved, dismissed   | open        | a reason; the outcome is cleared        |

Everything else is refused with an error that says what is allowed from the case's state. Every
accepted transition is returned as a ``Transition`` for the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from core.cases.domain.model import CaseState, FoxError, Outcome


class TransitionError(FoxError, ValueError):
    """An action the case's state does not allow, or one missing what it needs."""


class Action(StrEnum):
    START = "start"
    RESOLVE = "resolve"
    DISMISS = "dismiss"
    REOPEN = "reopen"


ALLOWED: dict[Action, tuple[frozenset[CaseState], CaseState]] = {
    Action.START: (frozenset({CaseState.OPEN}), CaseState.IN_PROGRESS),
    Action.RESOLVE: (frozenset({CaseState.IN_PROGRESS}), CaseState.RESOLVED),
    Action.DISMISS: (frozenset({CaseState.OPEN, CaseState.IN_PROGRESS}), CaseState.DISMISSED),
    Action.REOPEN: (frozenset({CaseState.RESOLVED, CaseState.DISMISSED}), CaseState.OPEN),
}
DISMISS_OUTCOMES = frozenset({Outcome.FALSE_POSITIVE, Outcome.UNACTIONABLE})
MIN_REASON = 3

_HINTS = {
    CaseState.OPEN: "start_investigation or dismiss it",
    CaseState.IN_PROGRESS: "resolve or dismiss it",
    CaseState.RESOLVED: "reopen it first",
    CaseState.DISMISSED: "reopen it first",
}


@dataclass(frozen=True, slots=True)
class Transition:
    action: Action
    from_state: CaseState
    to_state: CaseState
    actor: str
    reason: str
    at: datetime
    outcome: Outcome | None = None
    assignee: str | None = None


def transition(
    case_id: str,
    state: CaseState,
    action: Action,
    *,
    actor: str,
    at: datetime,
    reason: str = "",
    outcome: Outcome | None = None,
    assignee: str | None = None,
) -> Transition:
    """The transition ``action`` makes from ``state``, or ``TransitionError`` saying why not."""
    sources, target = ALLOWED[action]
    if state not in sources:
        raise TransitionError(
            f"case {case_id} is {state.value}: it cannot be {_past(action)}; {_HINTS[state]}"
        )
    reason = reason.strip()
    if action is not Action.START and len(reason) < MIN_REASON:
        raise TransitionError(f"to {action.value} a case give a reason (at least {MIN_REASON} characters)")
    if action in (Action.RESOLVE, Action.DISMISS) and outcome is None:
        raise TransitionError(
            f"to {action.value} a case give an outcome: {', '.join(o.value for o in Outcome)}"
        )
    if action is Action.DISMISS and outcome not in DISMISS_OUTCOMES:
        raise TransitionError(
            "a dismissed case's outcome is false_positive or unactionable; resolve the case to record "
            f"{outcome.value if outcome else 'it'}"
        )
    if action is Action.REOPEN:
        outcome = None
    if action is Action.START:
        assignee = (assignee or actor).strip()
    return Transition(action, state, target, actor, reason, at, outcome, assignee)


def _past(action: Action) -> str:
    return {"start": "started", "resolve": "resolved", "dismiss": "dismissed", "reopen": "reopened"}[action]
