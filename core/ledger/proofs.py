"""Receipts a merchant (or an auditor) can check without trusting Canary: an event's inclusion in a
signed checkpoint, and the consistency of two checkpoints. Proofs come from the stored perfect
subtrees (O(log n) reads), never from re-hashing the log. Verify them with ``core.ledger.merkle``:
``verify_inclusion(event_hash, leaf_index, tree_size, proof, root)`` and ``verify_consistency``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from core.db.tables.ledger import Checkpoint, EvidenceRecord
from core.db.uow import Database
from core.ledger import receipt
from core.ledger.checkpoint import public_key_bytes
from core.ledger.node_store import DbNodeStore
from core.ledger.signer import CheckpointSigner
from core.ledger.tree import MerkleLog


class ProofError(LookupError):
    """The event or checkpoint asked about does not exist for this merchant."""


@dataclass(frozen=True)
class InclusionReceipt:
    merchant_id: str
    seq: int
    leaf_index: int
    tree_size: int
    event_hash: str
    chain_hash: str
    proof: list[str]
    root: str
    checkpoint_note: str


@dataclass(frozen=True)
class ConsistencyReceipt:
    merchant_id: str
    old_size: int
    new_size: int
    proof: list[str]
    old_root: str
    new_root: str
    old_checkpoint_note: str
    new_checkpoint_note: str


class ProofService:
    def __init__(self, db: Database) -> None:
        self._db = db

    def export(
        self,
        merchant_id: str,
        signer: CheckpointSigner,
        *,
        seq: int | None = None,
        tree_size: int | None = None,
        consistency_from: int | None = None,
    ) -> dict[str, Any]:
        """A self-contained ``canary-receipt/v1`` (core/ledger/receipt.py, docs/ledger.md): event
        ``seq``'s chain link and inclusion proof (or none, for a checkpoint receipt), the signed
        checkpoint of ``tree_size`` (default the newest), ``signer``'s public key, and optionally a
        consistency proof from the checkpoint of ``consistency_from``."""
        with self._db.tenant(merchant_id) as session:
            checkpoint = self._checkpoint(session, merchant_id, tree_size)
            log = MerkleLog(DbNodeStore(session, merchant_id), checkpoint.tree_size)
            event = None
            if seq is not None:
                evidence = session.exec(
                    select(EvidenceRecord).where(
                        EvidenceRecord.merchant_id == merchant_id, EvidenceRecord.seq == seq
                    )
                ).first()
                if evidence is None:
                    raise ProofError(f"merchant {merchant_id} has no sealed event {seq}")
                if checkpoint.tree_size < seq:
                    raise ProofError(f"checkpoint {checkpoint.tree_size} does not cover event {seq} yet")
                event = {
                    "seq": seq,
                    "event_hash": evidence.event_hash,
                    "prev_chain_hash": evidence.prev_chain_hash,
                    "chain_hash": evidence.chain_hash,
                    "proof": log.inclusion_proof(seq - 1, checkpoint.tree_size),
                }
            consistency = None
            if consistency_from is not None:
                old = self._checkpoint(session, merchant_id, consistency_from)
                if old.tree_size > checkpoint.tree_size:
                    raise ProofError(f"checkpoint {old.tree_size} is newer than {checkpoint.tree_size}")
                consistency = {
                    "from_size": old.tree_size,
                    "from_root": old.root,
                    "proof": log.consistency_proof(old.tree_size, checkpoint.tree_size),
                }
            return receipt.build(
                merchant_id=merchant_id,
                checkpoint_note=checkpoint.note,
                tree_size=checkpoint.tree_size,
                root=checkpoint.root,
                key_name=signer.key_name,
                public_key=public_key_bytes(signer.public_key),
                event=event,
                consistency=consistency,
            )

    def inclusion(self, merchant_id: str, seq: int, tree_size: int | None = None) -> InclusionReceipt:
        """Proof that event ``seq`` is in the checkpoint of ``tree_size`` (default: the newest)."""
        with self._db.tenant(merchant_id) as session:
            evidence = session.exec(
                select(EvidenceRecord).where(
                    EvidenceRecord.merchant_id == merchant_id, EvidenceRecord.seq == seq
                )
            ).first()
            if evidence is None:
                raise ProofError(f"merchant {merchant_id} has no sealed event {seq}")
            checkpoint = self._checkpoint(session, merchant_id, tree_size)
            if checkpoint.tree_size < seq:
                raise ProofError(f"checkpoint {checkpoint.tree_size} does not cover event {seq} yet")
            log = MerkleLog(DbNodeStore(session, merchant_id), checkpoint.tree_size)
            proof = log.inclusion_proof(seq - 1, checkpoint.tree_size)
        return InclusionReceipt(
            merchant_id=merchant_id,
            seq=seq,
            leaf_index=seq - 1,
            tree_size=checkpoint.tree_size,
            event_hash=evidence.event_hash.hex(),
            chain_hash=evidence.chain_hash.hex(),
            proof=[p.hex() for p in proof],
            root=checkpoint.root.hex(),
            checkpoint_note=checkpoint.note,
        )

    def consistency(self, merchant_id: str, old_size: int, new_size: int | None = None) -> ConsistencyReceipt:
        """Proof that the checkpoint of ``new_size`` extends the one of ``old_size`` (append-only)."""
        with self._db.tenant(merchant_id) as session:
            old = self._checkpoint(session, merchant_id, old_size)
            new = self._checkpoint(session, merchant_id, new_size)
            if old.tree_size > new.tree_size:
                raise ProofError(f"checkpoint {old.tree_size} is newer than {new.tree_size}")
            log = MerkleLog(DbNodeStore(session, merchant_id), new.tree_size)
            proof = log.consistency_proof(old.tree_size, new.tree_size)
        return ConsistencyReceipt(
            merchant_id=merchant_id,
            old_size=old.tree_size,
            new_size=new.tree_size,
            proof=[p.hex() for p in proof],
            old_root=old.root.hex(),
            new_root=new.root.hex(),
            old_checkpoint_note=old.note,
            new_checkpoint_note=new.note,
        )

    @staticmethod
    def _checkpoint(session: Session, merchant_id: str, tree_size: int | None) -> Checkpoint:
        query = select(Checkpoint).where(Checkpoint.merchant_id == merchant_id)
        if tree_size is not None:
            query = query.where(Checkpoint.tree_size == tree_size)
        checkpoint = session.exec(query.order_by(col(Checkpoint.tree_size).desc()).limit(1)).first()
        if checkpoint is None:
            what = f"of size {tree_size}" if tree_size is not None else "at all"
            raise ProofError(f"merchant {merchant_id} has no checkpoint {what}")
        return checkpoint
