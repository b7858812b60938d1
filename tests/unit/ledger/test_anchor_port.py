"""The anchor state machine and the deterministic mock anchor."""

from __future__ import annotations

from itertools import product

import pytest

from core.ledger.anchor_port import (
    ALLOWED_TRANSITIONS,
    Anchor,
    AnchorReceipt,
    AnchorState,
    AnchorTransitionError,
    MockAnchor,
    is_terminal,
    note_digest,
    transition,
)

P, S, C, F = AnchorState.PENDING, AnchorState.SUBMITTED, AnchorState.CONFIRMED, AnchorState.FAILED
LEGAL = {(P, S), (S, C), (S, F)}
NOTE = "canary.ledger/v1/m_1\n1\nAAAA\n\n\u2014 k sig\n"


@pytest.mark.parametrize(("current", "target"), sorted(product(AnchorState, repeat=2)))
def test_only_the_documented_transitions_are_allowed(current: AnchorState, target: AnchorState) -> None:
    if (current, target) in LEGAL:
        assert transition(current, target) is target
    else:
        with pytest.raises(AnchorTransitionError, match=f"from {current} to {target}"):
            transition(current, target)


def test_confirmed_and_failed_are_the_only_terminal_states() -> None:
    assert {s for s in AnchorState if is_terminal(s)} == {C, F}
    assert set(ALLOWED_TRANSITIONS) == set(AnchorState)


def test_the_mock_anchor_walks_pending_submitted_confirmed_after_the_configured_checks() -> None:
    anchor: Anchor = MockAnchor(confirm_after=2)
    state = P
    receipt = anchor.submit(NOTE)
    state = transition(state, S)
    assert receipt.digest == note_digest(NOTE)
    seen = []
    while not is_terminal(state):
        checked = anchor.check(receipt)
        seen.append(checked)
        if checked != state:
            state = transition(state, checked)
    assert seen == [S, S, C]


def test_the_mock_anchor_fails_receipts_it_did_not_issue() -> None:
    anchor = MockAnchor()
    receipt = anchor.submit(NOTE)
    assert anchor.check(receipt) is C
    assert anchor.check(AnchorReceipt("mock", note_digest(NOTE + "x"), receipt.reference)) is F
    assert anchor.check(AnchorReceipt("rekor", receipt.digest, receipt.reference)) is F
    assert MockAnchor().check(receipt) is F


def test_the_mock_anchor_is_deterministic() -> None:
    assert MockAnchor().submit(NOTE) == MockAnchor().submit(NOTE)
    assert MockAnchor().submit(NOTE) != MockAnchor().submit(NOTE + "x")
    with pytest.raises(ValueError, match="negative"):
        MockAnchor(confirm_after=-1)
