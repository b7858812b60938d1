"""Evidence with ledger receipts, end to end on SQLite: a Square webhook is sealed and parsed, its
transaction is attached to a case, and get_case returns an RFC 6962 inclusion proof of the sealed
event that verifies against the signed checkpoint's root."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from core.bootstrap import Container
from core.cases.domain.model import Alert, Severity
from core.db.tables.ledger import EvidenceRecord
from core.db.tables.sales import TransactionRow
from core.ledger.merkle import verify_inclusion
from core.pipeline.workers import drain
from tests.support.pipeline import new_merchant, post, running_canary, settings_for, webhook


@pytest.fixture
def canary(tmp_path: Path) -> Iterator[tuple[Container, TestClient]]:
    settings = settings_for(f"sqlite:///{tmp_path / 'canary.db'}", tmp_path, redis=False)
    with running_canary(settings) as pair:
        yield pair


def test_attached_evidence_comes_with_an_inclusion_proof_that_verifies(
    canary: tuple[Container, TestClient],
) -> None:
    container, client = canary
    merchant, url = new_merchant(container)
    assert post(client, url, webhook("payment.created")).status_code == 200
    drain(container.pipeline)
    with container.db.tenant(merchant) as s:
        txn = s.exec(select(TransactionRow).where(TransactionRow.merchant_id == merchant)).first()
    assert txn is not None
    assert txn.evidence_seq is not None
    container.fox_stage.process(
        merchant,
        [
            Alert(
                "det_1",
                "Q-VR-03",
                "void_return",
                Severity.HIGH,
                "fraud",
                datetime(2026, 5, 4, tzinfo=UTC),
                employee_id="sq:employee:TM1",
                drawer_session_id="s1",
            )
        ],
    )
    [case] = container.fox_service.top_cases(merchant).items
    container.fox_service.attach_evidence(merchant, case.case_id, "transaction", txn.id, actor="analyst:t")
    [evidence] = container.fox_service.get_case(merchant, case.case_id).evidence
    receipt = evidence.receipt
    assert evidence.receipt_status == "verified by inclusion proof"
    assert receipt is not None
    assert (receipt.seq, receipt.leaf_index) == (txn.evidence_seq, txn.evidence_seq - 1)
    with container.db.tenant(merchant) as s:
        record = s.exec(
            select(EvidenceRecord).where(
                EvidenceRecord.merchant_id == merchant, EvidenceRecord.seq == receipt.seq
            )
        ).one()
    assert record.chain_hash.hex() == receipt.chain_hash
    assert receipt.checkpoint_note  # the signed checkpoint the proof is against
    proof = [bytes.fromhex(p) for p in receipt.proof]
    root = bytes.fromhex(receipt.root)
    assert verify_inclusion(
        bytes.fromhex(receipt.event_hash), receipt.leaf_index, receipt.tree_size, proof, root
    )
    assert record.event_hash.hex() == receipt.event_hash
