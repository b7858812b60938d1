"""Anchoring signed checkpoints somewhere we do not control, and the state each anchoring is in.

A checkpoint we only sign ourselves proves little against us; an anchor (a timestamp in Bitcoin via
OpenTimestamps, an entry in Rekor, a witness cosignature) fixes it in time outside our reach. Anchors
are slow and can stay unconfirmed for hours (OpenTimestamps batches into Bitcoin every few hours), so
the life of one anchoring is an explicit state machine and a pending anchor is never shown as final::

    pending ──submit──▶ submitted ──check──▶ confirmed
                                   └─check──▶ failed

Confirmed and failed are terminal: a failed anchoring is retried as a *new* anchoring of the same
checkpoint, so the record of the failure survives. A submission that raises leaves the anchoring
pending, to be submitted again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class AnchorState(StrEnum):
    PENDING = "pending"
    SUBMITTED = "submitted"
    CONFIRMED = "confirmed"
    FAILED = "failed"


ALLOWED_TRANSITIONS: dict[AnchorState, frozenset[AnchorState]] = {
    AnchorState.PENDING: frozenset({AnchorState.SUBMITTED}),
    AnchorState.SUBMITTED: frozenset({AnchorState.CONFIRMED, AnchorState.FAILED}),
    AnchorState.CONFIRMED: frozenset(),
    AnchorState.FAILED: frozenset(),
}


class AnchorTransitionError(ValueError):
    """An anchoring was asked to move between states the state machine does not connect."""


def transition(current: AnchorState, target: AnchorState) -> AnchorState:
    """``target`` if the move is allowed. Staying put is not a transition: callers compare first."""
    if target not in ALLOWED_TRANSITIONS[current]:
        raise AnchorTransitionError(f"an anchor cannot go from {current} to {target}")
    return target


def is_terminal(state: AnchorState) -> bool:
    return not ALLOWED_TRANSITIONS[state]


def note_digest(checkpoint_note: str) -> bytes:
    """What an anchor commits to: SHA-256 of the whole signed note, signatures included, so the
    anchor vouches for *our signed statement* and not just a root someone could re-sign."""
    return hashlib.sha256(checkpoint_note.encode()).digest()


@dataclass(frozen=True)
class AnchorReceipt:
    """What an anchor hands back on submission; ``reference`` is the anchor's own handle (an OTS
    calendar commitment, a Rekor log index), opaque to us and stored as text."""

    anchor: str
    digest: bytes
    reference: str


class Anchor(Protocol):
    name: str

    def submit(self, checkpoint_note: str) -> AnchorReceipt: ...

    def check(self, receipt: AnchorReceipt) -> AnchorState:
        """SUBMITTED while the anchor has not decided, then CONFIRMED or FAILED for good."""
        ...


class MockAnchor:
    """An anchor that confirms after a fixed number of checks, for demos and tests.

    It is deterministic so tests can walk the whole state machine without clocks or sleeps:
    ``confirm_after=0`` confirms on the first check, ``confirm_after=2`` answers SUBMITTED twice
    first. A receipt it never issued, or one whose digest does not match, is FAILED — the same answer
    a real anchor gives for a forged receipt.
    """

    name = "mock"

    def __init__(self, confirm_after: int = 0) -> None:
        if confirm_after < 0:
            raise ValueError("confirm_after cannot be negative")
        self._confirm_after = confirm_after
        self._issued: dict[str, bytes] = {}
        self._checks: dict[str, int] = {}

    def submit(self, checkpoint_note: str) -> AnchorReceipt:
        digest = note_digest(checkpoint_note)
        reference = f"mock:{digest.hex()}"
        self._issued[reference] = digest
        self._checks.setdefault(reference, 0)
        return AnchorReceipt(anchor=self.name, digest=digest, reference=reference)

    def check(self, receipt: AnchorReceipt) -> AnchorState:
        if receipt.anchor != self.name or self._issued.get(receipt.reference) != receipt.digest:
            return AnchorState.FAILED
        seen = self._checks[receipt.reference]
        self._checks[receipt.reference] = seen + 1
        return AnchorState.CONFIRMED if seen >= self._confirm_after else AnchorState.SUBMITTED
