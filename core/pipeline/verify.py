"""Ledger verification, in the order ledger.md recommends: raw bytes → event hash; every chain link
from genesis (not just the ends); each Merkle leaf equals the event hash at its position; every
checkpoint's root is rebuilt and its signature checked; the log is checked against the latest
witnessed checkpoint (``core/ledger/witness.py``), which the database cannot rewrite, so a truncated
tail or a rewritten history is reported too. A payload that is gone must be covered by a sealed
erasure record (``canary.redaction``, written by ``forget-customer``); otherwise it was removed, not
erased. The first bad position is named.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from core.adapters.internal import REDACTION_EVENT
from core.db.tables.ledger import Checkpoint, EvidenceRecord, InboxEntry, MerkleNode
from core.db.uow import Database
from core.domain import bounded_json
from core.ledger.chain import ChainLink, verify_chain
from core.ledger.checkpoint import CheckpointError
from core.ledger.node_store import DbNodeStore
from core.ledger.signer import CheckpointSigner, origin_for
from core.ledger.tree import MemoryNodeStore, MerkleLog
from core.ledger.witness import FileWitness, consistent
from core.security.crypto import CryptoError, decrypt_payload
from core.security.keyring import MerchantKeyring, MissingKeyError

CHUNK = 5_000


@dataclass
class VerifyReport:
    merchant_id: str
    records: int = 0
    payloads_checked: int = 0
    payloads_erased: int = 0
    checkpoints: int = 0
    witnessed_size: int | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> str | None:
        return self.problems[0] if self.problems else None


class LedgerVerifier:
    def __init__(
        self,
        db: Database,
        keyring: MerchantKeyring,
        signer: CheckpointSigner,
        witness: FileWitness | None = None,
    ) -> None:
        self._db, self._keyring, self._signer, self._witness = db, keyring, signer, witness

    def verify(self, merchant_id: str) -> VerifyReport:
        report = VerifyReport(merchant_id)
        with self._db.tenant(merchant_id) as session:
            links: list[ChainLink] = []
            rebuilt_nodes = MemoryNodeStore()
            tree = MerkleLog(rebuilt_nodes, 0)
            data_key = self._data_key(session, merchant_id)
            erasures = Erasures()
            for evidence, inbox in self._evidence(session, merchant_id):
                report.records += 1
                links.append(
                    ChainLink(
                        evidence.seq, evidence.event_hash, evidence.prev_chain_hash, evidence.chain_hash
                    )
                )
                raw = self._check_payload(report, data_key, evidence, inbox)
                erasures.see(evidence, inbox, raw, shredded=data_key is None)
            report.problems += erasures.uncovered()
            tree.append_many([link.event_hash for link in links])
            chain = verify_chain(merchant_id, links)
            if not chain.ok:
                report.problems.insert(0, f"chain broken at seq {chain.first_bad_seq}: {chain.reason}")
            self._check_nodes(session, report, merchant_id, rebuilt_nodes)
            self._check_checkpoints(session, report, merchant_id, tree)
            if self._witness is not None:
                self._check_witness(session, report, merchant_id, tree)
        return report

    def _data_key(self, session: Session, merchant_id: str) -> bytes | None:
        try:
            return self._keyring.get(session, merchant_id, "data", create=False)
        except MissingKeyError:
            return None  # crypto-shredded: hashes still verify, payloads are gone by design

    @staticmethod
    def _evidence(session: Session, merchant_id: str) -> Iterator[tuple[EvidenceRecord, InboxEntry | None]]:
        after = 0
        while True:
            chunk = session.exec(
                select(EvidenceRecord, InboxEntry)
                .join(
                    InboxEntry,
                    (InboxEntry.merchant_id == EvidenceRecord.merchant_id)  # type: ignore[arg-type]
                    & (InboxEntry.id == EvidenceRecord.inbox_id),
                    isouter=True,
                )
                .where(EvidenceRecord.merchant_id == merchant_id, EvidenceRecord.seq > after)
                .order_by(col(EvidenceRecord.seq))
                .limit(CHUNK)
            ).all()
            if not chunk:
                return
            yield from chunk
            after = chunk[-1][0].seq

    @staticmethod
    def _check_payload(
        report: VerifyReport, data_key: bytes | None, evidence: EvidenceRecord, inbox: InboxEntry | None
    ) -> bytes | None:
        """The verified raw bytes, or None (erased, missing or bad: a problem says which)."""
        if inbox is None:
            report.problems.append(f"seq {evidence.seq}: inbox row {evidence.inbox_id} is missing")
            return None
        if inbox.payload is None or data_key is None:
            report.payloads_erased += 1
            return None
        try:
            raw = decrypt_payload(
                data_key, inbox.payload, merchant_id=evidence.merchant_id, inbox_id=inbox.id
            )
        except CryptoError:
            report.problems.append(f"seq {evidence.seq}: stored payload does not authenticate (altered)")
            return None
        report.payloads_checked += 1
        if hashlib.sha256(raw).digest() != evidence.event_hash or inbox.event_hash != evidence.event_hash:
            report.problems.append(f"seq {evidence.seq}: payload bytes do not match the sealed event hash")
            return None
        return raw

    @staticmethod
    def _check_nodes(
        session: Session, report: VerifyReport, merchant_id: str, rebuilt_nodes: MemoryNodeStore
    ) -> None:
        """The stored leaves must be exactly the leaves rebuilt from the chain's event hashes."""
        stored = session.exec(
            select(MerkleNode.level, MerkleNode.idx, MerkleNode.hash)
            .where(MerkleNode.merchant_id == merchant_id, MerkleNode.level == 0)
            .order_by(col(MerkleNode.idx))
        ).all()
        rebuilt = rebuilt_nodes.get_many([(0, idx) for _, idx, _ in stored])
        for _, idx, digest in stored:
            if rebuilt.get((0, idx)) != digest:
                report.problems.append(f"merkle leaf {idx} (seq {idx + 1}) differs from the evidence chain")
                return
        if len(stored) != report.records:
            gaps = sorted(set(range(report.records)) - {idx for _, idx, _ in stored})
            if gaps:
                report.problems.append(f"merkle leaf {gaps[0]} (seq {gaps[0] + 1}) is missing")
            else:
                report.problems.append(
                    f"merkle log has {len(stored)} leaves for {report.records} evidence records "
                    f"(leaf {report.records}, seq {report.records + 1}, has no record)"
                )

    def _check_checkpoints(
        self, session: Session, report: VerifyReport, merchant_id: str, tree: MerkleLog
    ) -> None:
        for cp in session.exec(
            select(Checkpoint)
            .where(Checkpoint.merchant_id == merchant_id)
            .order_by(col(Checkpoint.tree_size))
        ).all():
            report.checkpoints += 1
            if cp.tree_size > report.records:
                report.problems.append(f"checkpoint {cp.tree_size} is beyond the {report.records} records")
                continue
            try:
                signed = self._signer.open(cp.note)
            except CheckpointError as exc:
                report.problems.append(f"checkpoint {cp.tree_size}: signature invalid ({exc})")
                continue
            rebuilt = tree.root(cp.tree_size)
            if (signed.origin, signed.size, signed.root) != (origin_for(merchant_id), cp.tree_size, cp.root):
                report.problems.append(
                    f"checkpoint {cp.tree_size}: signed note does not match the stored row"
                )
            elif rebuilt != cp.root:
                report.problems.append(f"checkpoint {cp.tree_size}: root does not match the rebuilt log")

    def _check_witness(
        self, session: Session, report: VerifyReport, merchant_id: str, tree: MerkleLog
    ) -> None:
        """The log must extend the latest checkpoint the witness holds: same root at its size (the
        log rebuilt from the chain) and a consistency proof from it to the newest stored checkpoint
        (from the stored nodes)."""
        assert self._witness is not None
        held = self._witness.latest(merchant_id)
        if held is None:
            return
        report.witnessed_size = held.size
        try:
            signed = self._signer.open(held.note)
        except CheckpointError as exc:
            report.problems.append(f"witnessed checkpoint {held.size}: signature invalid ({exc})")
            return
        if (signed.origin, signed.size, signed.root) != (origin_for(merchant_id), held.size, held.root):
            report.problems.append(f"witnessed checkpoint {held.size}: signed note does not match its entry")
            return
        if held.size > report.records:
            report.problems.append(
                f"log truncated at seq {report.records + 1}: the witness holds checkpoint {held.size} "
                f"but the log has {report.records} records"
            )
            return
        if tree.root(held.size) != held.root:
            report.problems.append(
                f"history rewritten before seq {held.size}: the log does not rebuild the witnessed root"
            )
            return
        newest = session.exec(
            select(Checkpoint)
            .where(Checkpoint.merchant_id == merchant_id)
            .order_by(col(Checkpoint.tree_size).desc())
            .limit(1)
        ).first()
        if newest is None or newest.tree_size < held.size:
            size = newest.tree_size if newest else 0
            report.problems.append(
                f"stored checkpoints after seq {size} are missing: the witness holds checkpoint {held.size}"
            )
            return
        stored = MerkleLog(DbNodeStore(session, merchant_id), newest.tree_size)
        if not consistent(stored, held, newest.tree_size, newest.root):
            report.problems.append(
                f"checkpoint {newest.tree_size} is not consistent with witnessed checkpoint {held.size} "
                f"(the stored Merkle nodes after seq {held.size} do not prove it)"
            )


class Erasures:
    """Missing payloads, and the seqs sealed erasure records say were erased on purpose."""

    def __init__(self) -> None:
        self.missing: list[int] = []
        self.covered: set[int] = set()

    def see(
        self, evidence: EvidenceRecord, inbox: InboxEntry | None, raw: bytes | None, *, shredded: bool
    ) -> None:
        if inbox is not None and inbox.payload is None and not shredded:
            self.missing.append(evidence.seq)
        if raw is not None and evidence.source == "CANARY" and evidence.event_type == REDACTION_EVENT:
            body = bounded_json.loads_object(raw) or {}
            seqs = body.get("erased_seqs")
            if isinstance(seqs, list):
                self.covered.update(s for s in seqs if isinstance(s, int) and s < evidence.seq)

    def uncovered(self) -> list[str]:
        return [
            f"seq {seq}: payload is missing and no sealed erasure record covers it"
            for seq in self.missing
            if seq not in self.covered
        ]
