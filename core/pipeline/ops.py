"""The operations service behind canary-tsp-ops: pipeline health, one event's lifecycle, parse
failures, bounded ledger verification, proofs, anchoring state and parse-only replay.

Every method takes the merchant first and reads inside ``Database.tenant(merchant_id)``, so row-level
security confines it on Postgres. It builds on the pipeline's own services (``health.py``,
``replay.py``, ``verify.py``) and the ledger's (``core/ledger/proofs.py``, ``anchor_service.py``); what
they do not answer (one event's lifecycle, a bounded verification) is queried here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from core.adapters.registry import PARSER_VERSION
from core.bus.port import StreamBus
from core.clock import Clock
from core.db.tables.ledger import (
    Checkpoint,
    EventInscription,
    EvidenceRecord,
    InboxEntry,
    IngestionLogEntry,
    MerkleNode,
    ProcessedMessage,
)
from core.db.tables.rules import DetectionRow
from core.db.uow import Database
from core.ledger.chain import ChainLink, verify_chain
from core.ledger.checkpoint import CheckpointError
from core.ledger.merkle import leaf_hash, node_hash
from core.ledger.node_store import DbNodeStore
from core.ledger.proofs import ProofError, ProofService
from core.ledger.signer import CheckpointSigner, origin_for
from core.ledger.tree import MerkleLog, MissingNodeError
from core.ledger.witness import WitnessService
from core.paging import check_limit, decode_cursor, encode_cursor
from core.pipeline.alarms import StageRef
from core.pipeline.health import HealthService
from core.pipeline.ops_results import (
    AnchorStatus,
    ChainVerification,
    CheckpointAnchor,
    ConsistencyProof,
    DownstreamStep,
    InboxStep,
    InclusionProof,
    IngestionStatus,
    ParseFailure,
    ParseFailurePage,
    ParseStep,
    PipelineHealthView,
    ReplayOutcome,
    SealStep,
    StageQueue,
)
from core.pipeline.replay import Replayer
from core.pipeline.verify import VerifyReport
from core.security.crypto import CryptoError, decrypt_payload
from core.security.keyring import MerchantKeyring, MissingKeyError

# A bounded verification answers in seconds: at most this many records per call.
MAX_VERIFY_SPAN = 100_000
DEFAULT_VERIFY_SPAN = 10_000
MAX_PROBLEMS = 20
MAX_DETECTIONS = 20
FAILURES = "parse_failures"


class OpsError(LookupError):
    """A caller's mistake (an unknown event, a bad range); the message says what to change."""

    user_facing = True


class OpsService:
    def __init__(
        self,
        db: Database,
        bus: StreamBus,
        clock: Clock,
        *,
        keyring: MerchantKeyring,
        signer: CheckpointSigner,
        health: HealthService,
        proofs: ProofService,
        replayer: Replayer,
        witnessing: WitnessService,
        stages: Sequence[StageRef],
    ) -> None:
        self._db, self._bus, self._clock = db, bus, clock
        self._keyring, self._signer = keyring, signer
        self._health, self._proofs, self._replayer, self._witnessing = health, proofs, replayer, witnessing
        self._stages = list(stages)

    # -- pipeline_health ---------------------------------------------------------------------------

    def stage_queues(self) -> list[StageQueue]:
        """Every stage's stream figures, in pipeline order (deployment-wide: the streams are shared)."""
        queues = []
        for ref in self._stages:
            stats = self._bus.stats(ref.stream, ref.group)
            idle = stats.oldest_pending_idle_ms
            queues.append(
                StageQueue(
                    stage=ref.name,
                    stream=ref.stream,
                    length=stats.length,
                    pending=stats.pending,
                    lag=stats.lag,
                    oldest_pending_idle_seconds=None if idle is None else idle / 1000,
                    dead_letters=stats.dead_letters,
                )
            )
        return queues

    def pipeline_health(self, merchant_id: str) -> PipelineHealthView:
        report = self._health.report(merchant_id)
        queues = self.stage_queues()
        outcomes = report.parsed + report.ignored + report.failed
        return PipelineHealthView(
            stages=queues,
            sealed_events=report.sealed_events,
            unsealed_inbox=report.unsealed_inbox,
            oldest_unsealed_at=report.oldest_unsealed_at,
            oldest_unsealed_age_seconds=report.oldest_unsealed_age_seconds,
            parsed=report.parsed,
            ignored=report.ignored,
            failed=report.failed,
            parse_failure_rate=round(report.parse_failure_rate, 6),
            unparsed=max(report.sealed_events - outcomes, 0),
        )

    # -- ingestion_status --------------------------------------------------------------------------

    def ingestion_status(
        self,
        merchant_id: str,
        *,
        seq: int | None = None,
        inbox_id: str | None = None,
        source_event_id: str | None = None,
    ) -> IngestionStatus:
        if sum(x is not None for x in (seq, inbox_id, source_event_id)) != 1:
            raise OpsError("give exactly one of seq, inbox_id or source_event_id")
        with self._db.tenant(merchant_id) as s:
            inbox, evidence = self._locate(s, merchant_id, seq, inbox_id, source_event_id)
            if inbox is None and evidence is None:
                what = (
                    f"seq {seq}"
                    if seq is not None
                    else f"inbox id {inbox_id!r}"
                    if inbox_id
                    else (f"vendor event id {source_event_id!r}")
                )
                return IngestionStatus(
                    found=False,
                    stage="unknown",
                    inbox=None,
                    seal=None,
                    parse=None,
                    downstream=None,
                    message=f"No event with {what} for this merchant.",
                )
            inbox_step = _inbox_step(inbox) if inbox is not None else None
            if evidence is None:
                return IngestionStatus(
                    found=True,
                    stage="received",
                    inbox=inbox_step,
                    seal=None,
                    parse=None,
                    downstream=None,
                    message="Received and stored, not sealed yet: see pipeline_health for the seal queue.",
                )
            seal = self._seal_step(s, merchant_id, evidence)
            log = s.get(IngestionLogEntry, (merchant_id, evidence.seq))
            if log is None:
                return IngestionStatus(
                    found=True,
                    stage="sealed",
                    inbox=inbox_step,
                    seal=seal,
                    parse=None,
                    downstream=None,
                    message="Sealed, not parsed yet: see pipeline_health for the parse queue.",
                )
            parse = _parse_step(log)
            downstream = self._downstream(s, merchant_id, evidence.seq)
            consumed = bool(downstream.consumed_by)
            stage = "consumed" if consumed and log.status == "parsed" else log.status
            message = {
                "consumed": "Parsed and applied downstream.",
                "parsed": "Parsed; no consumer has applied it yet.",
                "ignored": "Parsed and deliberately ignored (see parse.reason).",
                "failed": "Parsing failed (see parse.reason); replay_event re-parses it after a parser fix.",
            }[stage]
            return IngestionStatus(
                found=True,
                stage=stage,
                inbox=inbox_step,
                seal=seal,
                parse=parse,
                downstream=downstream,
                message=message,
            )

    @staticmethod
    def _locate(
        s: Session, merchant_id: str, seq: int | None, inbox_id: str | None, source_event_id: str | None
    ) -> tuple[InboxEntry | None, EvidenceRecord | None]:
        evidence: EvidenceRecord | None = None
        inbox: InboxEntry | None = None
        if seq is not None:
            evidence = s.get(EvidenceRecord, (merchant_id, seq))
            if evidence is not None:
                inbox = s.get(InboxEntry, (merchant_id, evidence.inbox_id))
            return inbox, evidence
        if inbox_id is not None:
            inbox = s.get(InboxEntry, (merchant_id, inbox_id))
        else:
            inbox = s.exec(
                select(InboxEntry)
                .where(InboxEntry.merchant_id == merchant_id, InboxEntry.source_event_id == source_event_id)
                .order_by(col(InboxEntry.received_at))
                .limit(1)
            ).first()
        if inbox is not None and inbox.sealed_seq is not None:
            evidence = s.get(EvidenceRecord, (merchant_id, inbox.sealed_seq))
        return inbox, evidence

    @staticmethod
    def _seal_step(s: Session, merchant_id: str, evidence: EvidenceRecord) -> SealStep:
        inscription = s.get(EventInscription, (merchant_id, evidence.seq))
        covering = s.exec(
            select(Checkpoint.tree_size, Checkpoint.anchor_state)
            .where(Checkpoint.merchant_id == merchant_id, Checkpoint.tree_size >= evidence.seq)
            .order_by(col(Checkpoint.tree_size))
            .limit(1)
        ).first()
        return SealStep(
            seq=evidence.seq,
            sealed_at=evidence.sealed_at,
            event_hash=evidence.event_hash.hex(),
            chain_hash=evidence.chain_hash.hex(),
            leaf_index=inscription.leaf_index if inscription else None,
            checkpoint_size=covering[0] if covering else None,
            anchor_state=covering[1] if covering else None,
        )

    @staticmethod
    def _downstream(s: Session, merchant_id: str, seq: int) -> DownstreamStep:
        consumed = dict(
            s.exec(
                select(ProcessedMessage.consumer, func.count())
                .where(
                    ProcessedMessage.merchant_id == merchant_id,
                    col(ProcessedMessage.message_key).startswith(f"{seq}:"),
                )
                .group_by(ProcessedMessage.consumer)
            ).all()
        )
        detections = list(
            s.exec(
                select(DetectionRow.id)
                .where(DetectionRow.merchant_id == merchant_id, DetectionRow.evidence_seq == seq)
                .order_by(col(DetectionRow.id))
                .limit(MAX_DETECTIONS)
            ).all()
        )
        count = s.exec(
            select(func.count()).where(
                DetectionRow.merchant_id == merchant_id, DetectionRow.evidence_seq == seq
            )
        ).one()
        return DownstreamStep(consumed_by=consumed, detections=detections, detection_count=count)

    # -- list_parse_failures -----------------------------------------------------------------------

    def list_parse_failures(
        self, merchant_id: str, *, limit: int = 20, cursor: str | None = None
    ) -> ParseFailurePage:
        check_limit(limit)
        after = decode_cursor(FAILURES, cursor, 1)
        if after is not None and not isinstance(after[0], int):
            raise OpsError("invalid cursor: it is malformed; omit it to start from the first page")
        with self._db.tenant(merchant_id) as s:
            query = (
                select(IngestionLogEntry, EvidenceRecord)
                .join(
                    EvidenceRecord,
                    (EvidenceRecord.merchant_id == IngestionLogEntry.merchant_id)  # type: ignore[arg-type]
                    & (EvidenceRecord.seq == IngestionLogEntry.seq),
                )
                .where(IngestionLogEntry.merchant_id == merchant_id, IngestionLogEntry.status == "failed")
            )
            if after is not None:
                query = query.where(IngestionLogEntry.seq > after[0])
            rows = s.exec(query.order_by(col(IngestionLogEntry.seq)).limit(limit + 1)).all()
            total = s.exec(
                select(func.count()).where(
                    IngestionLogEntry.merchant_id == merchant_id, IngestionLogEntry.status == "failed"
                )
            ).one()
        page = rows[:limit]
        items = [
            ParseFailure(
                seq=log.seq,
                source=ev.source,
                event_type=ev.event_type,
                received_at=ev.received_at,
                reason=log.reason,
                error_field=log.error_field,
                attempts=log.attempts,
                parser_version=log.parser_version,
                failed_at=log.updated_at,
            )
            for log, ev in page
        ]
        more = len(rows) > limit
        return ParseFailurePage(
            items=items,
            total_failed=total,
            current_parser_version=PARSER_VERSION,
            next_cursor=encode_cursor(FAILURES, [page[-1][0].seq]) if more and page else None,
        )

    # -- verify_chain ------------------------------------------------------------------------------

    def verify_chain(
        self, merchant_id: str, *, from_seq: int = 1, to_seq: int | None = None
    ) -> ChainVerification:
        """Chain links, payload hashes, Merkle leaves, the stored interior nodes inside the range and
        the signed checkpoints whose size falls in it, for seqs ``from_seq..to_seq`` only."""
        if from_seq < 1:
            raise OpsError("from_seq must be 1 or more (seqs start at 1)")
        with self._db.tenant(merchant_id) as s:
            size = (
                s.exec(
                    select(func.max(EvidenceRecord.seq)).where(EvidenceRecord.merchant_id == merchant_id)
                ).one()
                or 0
            )
            last = min(to_seq if to_seq is not None else from_seq + DEFAULT_VERIFY_SPAN - 1, size)
            if to_seq is not None and to_seq < from_seq:
                raise OpsError(f"to_seq ({to_seq}) is before from_seq ({from_seq})")
            if last - from_seq + 1 > MAX_VERIFY_SPAN:
                raise OpsError(
                    f"at most {MAX_VERIFY_SPAN} records per call: verify "
                    f"{from_seq}..{from_seq + MAX_VERIFY_SPAN - 1} "
                    "first, then continue from there (or run `canary verify` for the whole log)"
                )
            report = VerifyReport(merchant_id)
            found = _RangeCheck(self, s, merchant_id, from_seq, last, report)
            if from_seq <= last:
                found.run()
        problems = report.problems[:MAX_PROBLEMS]
        note = (
            f"Checked seqs {from_seq}..{last} of {size}: links, payload hashes, Merkle leaves and nodes "
            "inside the range, and checkpoints of a size inside it. Links before from_seq are taken as "
            "given; `canary verify` checks the whole log against the witness."
            if from_seq <= last
            else f"Nothing to check: the log has {size} records."
        )
        return ChainVerification(
            ok=not report.problems,
            from_seq=from_seq,
            to_seq=last if from_seq <= last else 0,
            log_size=size,
            records_checked=report.records,
            payloads_checked=report.payloads_checked,
            payloads_erased=report.payloads_erased,
            nodes_checked=found.nodes,
            checkpoints_checked=report.checkpoints,
            first_bad_seq=found.first_bad,
            problems=problems,
            note=note,
        )

    def data_key(self, s: Session, merchant_id: str) -> bytes | None:
        try:
            return self._keyring.get(s, merchant_id, "data", create=False)
        except MissingKeyError:
            return None

    @property
    def signer(self) -> CheckpointSigner:
        return self._signer

    # -- proofs ------------------------------------------------------------------------------------

    def inclusion_proof(self, merchant_id: str, seq: int, tree_size: int | None = None) -> InclusionProof:
        r = self._proofs.inclusion(merchant_id, seq, tree_size)
        return InclusionProof(
            seq=r.seq,
            leaf_index=r.leaf_index,
            tree_size=r.tree_size,
            event_hash=r.event_hash,
            chain_hash=r.chain_hash,
            proof=r.proof,
            root=r.root,
            checkpoint_note=r.checkpoint_note,
            key_name=self._signer.key_name,
            public_key=self._signer.public_key_b64(),
        )

    def consistency_proof(
        self, merchant_id: str, old_size: int, new_size: int | None = None
    ) -> ConsistencyProof:
        r = self._proofs.consistency(merchant_id, old_size, new_size)
        return ConsistencyProof(
            old_size=r.old_size,
            new_size=r.new_size,
            proof=r.proof,
            old_root=r.old_root,
            new_root=r.new_root,
            old_checkpoint_note=r.old_checkpoint_note,
            new_checkpoint_note=r.new_checkpoint_note,
            key_name=self._signer.key_name,
            public_key=self._signer.public_key_b64(),
        )

    # -- anchor_status -----------------------------------------------------------------------------

    def anchor_status(self, merchant_id: str, tree_size: int | None = None) -> AnchorStatus:
        with self._db.tenant(merchant_id) as s:
            by_state = dict(
                s.exec(
                    select(Checkpoint.anchor_state, func.count())
                    .where(Checkpoint.merchant_id == merchant_id)
                    .group_by(Checkpoint.anchor_state)
                ).all()
            )
            confirmed = s.exec(
                select(func.max(Checkpoint.tree_size)).where(
                    Checkpoint.merchant_id == merchant_id, Checkpoint.anchor_state == "confirmed"
                )
            ).one()
            oldest_open = s.exec(
                select(func.min(Checkpoint.created_at)).where(
                    Checkpoint.merchant_id == merchant_id,
                    col(Checkpoint.anchor_state).in_(["pending", "submitted"]),
                )
            ).one()
            query = select(Checkpoint).where(Checkpoint.merchant_id == merchant_id)
            if tree_size is not None:
                query = query.where(Checkpoint.tree_size == tree_size)
            chosen = s.exec(query.order_by(col(Checkpoint.tree_size).desc()).limit(1)).first()
            if tree_size is not None and chosen is None:
                raise OpsError(
                    f"no checkpoint of size {tree_size} for this merchant: omit tree_size for the newest"
                )
        witness = self._witnessing.witness
        held = witness.latest(merchant_id) if witness is not None else None
        return AnchorStatus(
            checkpoints=sum(by_state.values()),
            by_state=by_state,
            latest_confirmed_size=confirmed,
            oldest_unconfirmed_at=oldest_open,
            witnessed_size=held.size if held else None,
            checkpoint=_anchor(chosen) if chosen else None,
        )

    # -- replay_event ------------------------------------------------------------------------------

    def replay_event(self, merchant_id: str, seq: int) -> ReplayOutcome:
        """Re-parse one sealed event with the current parser; never re-seals. Idempotent: a second
        replay finds the same outcome and downstream consumers skip what they already applied."""
        with self._db.tenant(merchant_id) as s:
            if s.get(EvidenceRecord, (merchant_id, seq)) is None:
                raise OpsError(f"no sealed event {seq} for this merchant: only sealed events can be replayed")
            before = s.get(IngestionLogEntry, (merchant_id, seq))
            previous = _parse_step(before) if before else None
        done = self._replayer.replay(merchant_id, first_seq=seq, last_seq=seq)
        with self._db.tenant(merchant_id) as s:
            after = s.get(IngestionLogEntry, (merchant_id, seq))
            if after is None:  # the parse stage always records an outcome
                raise OpsError(f"event {seq} was replayed but recorded no parse outcome")
            current = _parse_step(after)
        changed = previous is None or previous.status != current.status
        return ReplayOutcome(
            seq=seq,
            parsed=done.parsed,
            ignored=done.ignored,
            failed=done.failed,
            previous=previous,
            current=current,
            message=(
                f"Re-parsed with parser {current.parser_version}: now {current.status}"
                + (f" (was {previous.status})." if previous and changed else ".")
            ),
        )


class _RangeCheck:
    """One bounded verification: seqs ``first..last`` (leaf indices ``first-1..last-1``)."""

    def __init__(
        self, ops: OpsService, s: Session, merchant_id: str, first: int, last: int, report: VerifyReport
    ) -> None:
        self.ops, self.s, self.m, self.first, self.last, self.report = (
            ops,
            s,
            merchant_id,
            first,
            last,
            report,
        )
        self.nodes = 0
        self.first_bad: int | None = None

    def bad(self, seq: int, problem: str) -> None:
        self.report.problems.append(problem)
        if self.first_bad is None or seq < self.first_bad:
            self.first_bad = seq

    def run(self) -> None:
        s, m = self.s, self.m
        trusted = None
        if self.first > 1:
            before = s.get(EvidenceRecord, (m, self.first - 1))
            if before is None:
                self.bad(self.first - 1, f"seq {self.first - 1} is missing: the range cannot be linked")
                return
            trusted = (before.seq, before.chain_hash)
        rows = s.exec(
            select(EvidenceRecord, InboxEntry)
            .join(
                InboxEntry,
                (InboxEntry.merchant_id == EvidenceRecord.merchant_id)  # type: ignore[arg-type]
                & (InboxEntry.id == EvidenceRecord.inbox_id),
                isouter=True,
            )
            .where(
                EvidenceRecord.merchant_id == m,
                EvidenceRecord.seq >= self.first,
                EvidenceRecord.seq <= self.last,
            )
            .order_by(col(EvidenceRecord.seq))
        ).all()
        links = [ChainLink(e.seq, e.event_hash, e.prev_chain_hash, e.chain_hash) for e, _ in rows]
        chain = verify_chain(m, links, trusted=trusted)
        if not chain.ok:
            self.bad(
                chain.first_bad_seq or self.first,
                f"chain broken at seq {chain.first_bad_seq}: {chain.reason}",
            )
        elif len(links) != self.last - self.first + 1:
            self.bad(self.first + len(links), f"seq {self.first + len(links)} is missing")
        key = self.ops.data_key(s, m)
        for evidence, inbox in rows:
            self.report.records += 1
            self._payload(key, evidence, inbox)
        self._leaves({e.seq: e.event_hash for e, _ in rows})
        self._checkpoints()

    def _payload(self, key: bytes | None, evidence: EvidenceRecord, inbox: InboxEntry | None) -> None:
        seq = evidence.seq
        if inbox is None:
            self.bad(seq, f"seq {seq}: inbox row {evidence.inbox_id} is missing")
            return
        if inbox.payload is None or key is None:
            self.report.payloads_erased += 1
            return
        try:
            raw = decrypt_payload(key, inbox.payload, merchant_id=self.m, inbox_id=inbox.id)
        except CryptoError:
            self.bad(seq, f"seq {seq}: stored payload does not authenticate (altered)")
            return
        self.report.payloads_checked += 1
        if hashlib.sha256(raw).digest() != evidence.event_hash or inbox.event_hash != evidence.event_hash:
            self.bad(seq, f"seq {seq}: payload bytes do not match the sealed event hash")

    def _leaves(self, event_hashes: dict[int, bytes]) -> None:
        """Leaves equal the chain's event hashes; each stored node whose span lies inside the range is
        recomputed from its two children (stored ones, themselves checked from below)."""
        lo, hi = self.first - 1, self.last  # leaf indices [lo, hi)
        level_nodes = dict(
            self.s.exec(
                select(MerkleNode.idx, MerkleNode.hash).where(
                    MerkleNode.merchant_id == self.m,
                    MerkleNode.level == 0,
                    MerkleNode.idx >= lo,
                    MerkleNode.idx < hi,
                )
            ).all()
        )
        for seq, event in sorted(event_hashes.items()):
            stored = level_nodes.get(seq - 1)
            self.nodes += 1
            if stored is None:
                self.bad(seq, f"merkle leaf {seq - 1} (seq {seq}) is missing")
            elif stored != leaf_hash(event):
                self.bad(seq, f"merkle leaf {seq - 1} (seq {seq}) differs from the evidence chain")
        level = 1
        while (1 << level) <= hi - lo:
            width = 1 << level
            first_idx, end_idx = -(-lo // width), hi // width  # nodes whose span is inside [lo, hi)
            if first_idx >= end_idx:
                level += 1
                continue
            parents = dict(
                self.s.exec(
                    select(MerkleNode.idx, MerkleNode.hash).where(
                        MerkleNode.merchant_id == self.m,
                        MerkleNode.level == level,
                        MerkleNode.idx >= first_idx,
                        MerkleNode.idx < end_idx,
                    )
                ).all()
            )
            children = dict(
                self.s.exec(
                    select(MerkleNode.idx, MerkleNode.hash).where(
                        MerkleNode.merchant_id == self.m,
                        MerkleNode.level == level - 1,
                        MerkleNode.idx >= 2 * first_idx,
                        MerkleNode.idx < 2 * end_idx,
                    )
                ).all()
            )
            for idx, digest in sorted(parents.items()):
                self.nodes += 1
                left, right = children.get(2 * idx), children.get(2 * idx + 1)
                if left is None or right is None or node_hash(left, right) != digest:
                    seq = idx * width + 1
                    self.bad(
                        seq,
                        f"merkle node (level {level}, index {idx}) over seqs {seq}..{seq + width - 1} "
                        "does not recompute from its children",
                    )
                    return
            level += 1

    def _checkpoints(self) -> None:
        s, m = self.s, self.m
        log = MerkleLog(DbNodeStore(s, m), self.last)
        for cp in s.exec(
            select(Checkpoint)
            .where(
                Checkpoint.merchant_id == m,
                Checkpoint.tree_size >= self.first,
                Checkpoint.tree_size <= self.last,
            )
            .order_by(col(Checkpoint.tree_size))
        ).all():
            self.report.checkpoints += 1
            try:
                signed = self.ops.signer.open(cp.note)
            except CheckpointError as exc:
                self.bad(cp.tree_size, f"checkpoint {cp.tree_size}: signature invalid ({exc})")
                continue
            if (signed.origin, signed.size, signed.root) != (origin_for(m), cp.tree_size, cp.root):
                self.bad(
                    cp.tree_size, f"checkpoint {cp.tree_size}: signed note does not match the stored row"
                )
                continue
            try:
                rebuilt = log.root(cp.tree_size)
            except MissingNodeError:
                self.bad(cp.tree_size, f"checkpoint {cp.tree_size}: stored Merkle nodes are missing")
                continue
            if rebuilt != cp.root:
                self.bad(
                    cp.tree_size, f"checkpoint {cp.tree_size}: root does not match the stored Merkle log"
                )


def _inbox_step(inbox: InboxEntry) -> InboxStep:
    return InboxStep(
        inbox_id=inbox.id,
        source=inbox.source,
        source_type=inbox.source_type,
        source_event_id=inbox.source_event_id,
        event_type=inbox.event_type,
        size_bytes=inbox.size_bytes,
        received_at=inbox.received_at,
        payload_erased=inbox.payload is None,
    )


def _parse_step(log: IngestionLogEntry) -> ParseStep:
    return ParseStep(
        status=log.status,  # type: ignore[arg-type]
        reason=log.reason,
        error_field=log.error_field,
        records=log.records,
        attempts=log.attempts,
        parser_version=log.parser_version,
        updated_at=log.updated_at,
    )


def _anchor(cp: Checkpoint) -> CheckpointAnchor:
    stored = json.loads(cp.anchor_receipt) if cp.anchor_receipt else {}
    return CheckpointAnchor(
        tree_size=cp.tree_size,
        root=cp.root.hex(),
        created_at=cp.created_at,
        anchor_state=cp.anchor_state,
        anchor=stored.get("anchor"),
        reference=stored.get("reference"),
        anchor_updated_at=cp.anchor_updated_at,
    )


__all__ = ["OpsError", "OpsService", "ProofError", "StageRef"]
