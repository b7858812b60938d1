"""Ledger verification, in the order ledger.md recommends: raw bytes → event hash; every chain link
from genesis (not just the ends); each Merkle leaf equals the event hash at its position; every
checkpoint's root is rebuilt and its signature checked. The first bad position is named.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from core.db.tables.ledger import Checkpoint, EvidenceRecord, InboxEntry, MerkleNode
from core.db.uow import Database
from core.ledger.chain import ChainLink, verify_chain
from core.ledger.checkpoint import CheckpointError
from core.ledger.signer import CheckpointSigner, origin_for
from core.ledger.tree import MemoryNodeStore, MerkleLog
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
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> str | None:
        return self.problems[0] if self.problems else None


class LedgerVerifier:
    def __init__(self, db: Database, keyring: MerchantKeyring, signer: CheckpointSigner) -> None:
        self._db, self._keyring, self._signer = db, keyring, signer

    def verify(self, merchant_id: str) -> VerifyReport:
        report = VerifyReport(merchant_id)
        with self._db.tenant(merchant_id) as session:
            links: list[ChainLink] = []
            rebuilt_nodes = MemoryNodeStore()
            tree = MerkleLog(rebuilt_nodes, 0)
            data_key = self._data_key(session, merchant_id)
            for evidence, inbox in self._evidence(session, merchant_id):
                report.records += 1
                links.append(
                    ChainLink(
                        evidence.seq, evidence.event_hash, evidence.prev_chain_hash, evidence.chain_hash
                    )
                )
                self._check_payload(report, data_key, evidence, inbox)
            tree.append_many([link.event_hash for link in links])
            chain = verify_chain(merchant_id, links)
            if not chain.ok:
                report.problems.insert(0, f"chain broken at seq {chain.first_bad_seq}: {chain.reason}")
            self._check_nodes(session, report, merchant_id, rebuilt_nodes)
            self._check_checkpoints(session, report, merchant_id, tree)
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
    ) -> None:
        if inbox is None:
            report.problems.append(f"seq {evidence.seq}: inbox row {evidence.inbox_id} is missing")
            return
        if inbox.payload is None or data_key is None:
            report.payloads_erased += 1
            return
        try:
            raw = decrypt_payload(
                data_key, inbox.payload, merchant_id=evidence.merchant_id, inbox_id=inbox.id
            )
        except CryptoError:
            report.problems.append(f"seq {evidence.seq}: stored payload does not authenticate (altered)")
            return
        report.payloads_checked += 1
        if hashlib.sha256(raw).digest() != evidence.event_hash or inbox.event_hash != evidence.event_hash:
            report.problems.append(f"seq {evidence.seq}: payload bytes do not match the sealed event hash")

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
            report.problems.append(
                f"merkle log has {len(stored)} leaves for {report.records} evidence records"
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
