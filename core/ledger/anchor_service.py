"""Anchoring signed checkpoints: pending → submitted → confirmed | failed.

An anchor (OpenTimestamps, Rekor, a witness — the mock today) commits to the digest of the whole
signed note. A checkpoint is *final* only once confirmed; until then verification reports it as a
promise, not a proof. Each run submits pending checkpoints and re-checks submitted ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlmodel import col, select

from core.clock import Clock
from core.db.tables.ledger import Checkpoint
from core.db.uow import Database
from core.ledger.anchor_port import Anchor, AnchorReceipt, AnchorState, transition

BATCH = 500


@dataclass(frozen=True)
class AnchorRun:
    submitted: int = 0
    confirmed: int = 0
    failed: int = 0


class AnchorService:
    def __init__(self, db: Database, anchor: Anchor, clock: Clock) -> None:
        self._db, self._anchor, self._clock = db, anchor, clock

    def run(self, merchant_id: str) -> AnchorRun:
        counts = {"submitted": 0, "confirmed": 0, "failed": 0}
        with self._db.tenant(merchant_id) as session:
            open_checkpoints = session.exec(
                select(Checkpoint)
                .where(
                    Checkpoint.merchant_id == merchant_id,
                    col(Checkpoint.anchor_state).in_(
                        [AnchorState.PENDING.value, AnchorState.SUBMITTED.value]
                    ),
                )
                .order_by(col(Checkpoint.tree_size))
                .limit(BATCH)
            ).all()
            for checkpoint in open_checkpoints:
                state = AnchorState(checkpoint.anchor_state)
                if state is AnchorState.PENDING:
                    receipt = self._anchor.submit(checkpoint.note)
                    state = transition(state, AnchorState.SUBMITTED)
                    checkpoint.anchor_receipt = json.dumps(
                        {
                            "anchor": receipt.anchor,
                            "digest": receipt.digest.hex(),
                            "reference": receipt.reference,
                        }
                    )
                    counts["submitted"] += 1
                stored = json.loads(checkpoint.anchor_receipt or "{}")
                decided = self._anchor.check(
                    AnchorReceipt(stored["anchor"], bytes.fromhex(stored["digest"]), stored["reference"])
                )
                if decided is not AnchorState.SUBMITTED:
                    state = transition(state, decided)
                    counts[decided.value] += 1
                checkpoint.anchor_state, checkpoint.anchor_updated_at = state.value, self._clock.now()
                session.add(checkpoint)
        return AnchorRun(**counts)
