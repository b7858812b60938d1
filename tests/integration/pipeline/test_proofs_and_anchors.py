"""Receipts verify with the public RFC 6962 functions; checkpoints get anchored."""

from __future__ import annotations

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from core.bootstrap import Container
from core.db.tables.ledger import Checkpoint
from core.ledger import merkle
from core.ledger.proofs import ProofError
from core.pipeline.workers import drain
from tests.support.pipeline import new_merchant, post, webhook

Canary = tuple[Container, TestClient]


def _sealed(canary: Canary, batches: int = 3, per_batch: int = 5) -> str:
    container, client = canary
    merchant, url = new_merchant(container)
    for _ in range(batches):  # one drain per batch: one checkpoint per batch
        for _ in range(per_batch):
            post(client, url, webhook("payment.created"))
        drain(container.pipeline)
    return merchant


def test_every_event_has_an_inclusion_proof_that_verifies_against_its_signed_root(canary: Canary) -> None:
    container, _ = canary
    merchant = _sealed(canary)
    for seq in range(1, 16):
        receipt = container.proofs.inclusion(merchant, seq)
        proof = [bytes.fromhex(p) for p in receipt.proof]
        root = bytes.fromhex(receipt.root)
        assert merkle.verify_inclusion(
            bytes.fromhex(receipt.event_hash), receipt.leaf_index, receipt.tree_size, proof, root
        )
        assert container.signer.open(receipt.checkpoint_note).root == root
        assert not merkle.verify_inclusion(
            bytes.fromhex(receipt.event_hash),
            receipt.leaf_index + 1 if seq < 15 else 0,
            receipt.tree_size,
            proof,
            root,
        )


def test_checkpoints_are_consistent_with_each_other(canary: Canary) -> None:
    container, _ = canary
    merchant = _sealed(canary)
    receipt = container.proofs.consistency(merchant, 5, 15)
    args = (
        receipt.old_size,
        receipt.new_size,
        bytes.fromhex(receipt.old_root),
        bytes.fromhex(receipt.new_root),
    )
    assert merkle.verify_consistency(*args, [bytes.fromhex(p) for p in receipt.proof])
    assert not merkle.verify_consistency(*args, [bytes.fromhex(p) for p in receipt.proof][:-1])


def test_asking_for_an_event_or_checkpoint_that_does_not_exist_is_a_clear_error(canary: Canary) -> None:
    container, _ = canary
    merchant = _sealed(canary, batches=1)
    with pytest.raises(ProofError, match="no sealed event 99"):
        container.proofs.inclusion(merchant, 99)
    with pytest.raises(ProofError, match="no checkpoint of size 3"):
        container.proofs.consistency(merchant, 3)


def test_new_checkpoints_are_anchored_and_confirmed(canary: Canary) -> None:
    container, _ = canary
    merchant = _sealed(canary, batches=2)
    with container.db.tenant(merchant) as s:
        states = s.exec(
            select(Checkpoint.anchor_state, Checkpoint.anchor_receipt).where(
                Checkpoint.merchant_id == merchant
            )
        ).all()
    assert [state for state, _ in states] == ["confirmed", "confirmed"]
    assert all(receipt and '"anchor": "mock"' in receipt for _, receipt in states)
