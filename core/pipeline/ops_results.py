"""Typed answers of the operations service (``core/pipeline/ops.py``), which canary-tsp-ops returns.

Hashes are lowercase hex; times are timezone-aware UTC. Text a payload or a parser error carried
(``reason``, ``event_type``) is a plain ``str``, so the server cleans it on the way to a model; ids,
hashes and Canary's own notes are ``Id``/``OurText`` and pass verbatim.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.text import Id, OurText


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)


class StageQueue(_Result):
    stage: Id = Field(
        description="Pipeline stage: seal, parse, then the consumers customers, chirp, bubble, fox."
    )
    stream: Id = Field(description="The bus stream the stage reads.")
    length: int = Field(description="Entries held in the stream (all merchants: streams are shared).")
    pending: int = Field(description="Entries delivered to the stage but not yet acknowledged.")
    lag: int | None = Field(description="Entries not yet delivered to the stage; null when unknown.")
    oldest_pending_idle_seconds: float | None = Field(
        description="How long the oldest unacknowledged entry has waited; null when none."
    )
    dead_letters: int = Field(description="Entries the stage gave up on, parked in <stream>:dead.")


class PipelineHealthView(_Result):
    stages: list[StageQueue] = Field(
        description="Queue figures per stage, in pipeline order. They are deployment-wide (the streams "
        "are shared by every merchant) and carry no merchant's data."
    )
    sealed_events: int = Field(description="This merchant's events sealed into the evidence chain.")
    unsealed_inbox: int = Field(description="This merchant's received events not sealed yet.")
    oldest_unsealed_at: datetime | None = Field(
        description="Receipt time of the oldest unsealed event (UTC)."
    )
    oldest_unsealed_age_seconds: float | None
    parsed: int = Field(description="Sealed events whose latest parse produced canonical records.")
    ignored: int = Field(description="Sealed events parsing deliberately skipped (e.g. a test event).")
    failed: int = Field(
        description="Sealed events whose latest parse failed; list_parse_failures lists them."
    )
    parse_failure_rate: float = Field(description="failed / (parsed + ignored + failed), 0 when none.")
    unparsed: int = Field(description="Sealed events with no parse outcome yet (in flight or stuck).")


class InboxStep(_Result):
    inbox_id: Id
    source: Id = Field(description="SQUARE or COUNTERPOINT (CANARY for Canary's own records).")
    source_type: Id
    source_event_id: Id | None = Field(description="The vendor's event id, if it sent one.")
    event_type: str | None = Field(description="The vendor's event type (data).")
    size_bytes: int
    received_at: datetime
    payload_erased: bool = Field(description="True when the raw bytes were erased (right to be forgotten).")


class SealStep(_Result):
    seq: int = Field(description="Position in the merchant's evidence chain (1-based).")
    sealed_at: datetime
    event_hash: Id = Field(description="SHA-256 of the raw bytes as received, hex.")
    chain_hash: Id = Field(description="SHA-256(previous chain hash || event hash), hex.")
    leaf_index: int | None = Field(description="0-based Merkle leaf (seq - 1); null if not inscribed yet.")
    checkpoint_size: int | None = Field(
        description="Tree size of the first signed checkpoint that covers the event; null if none yet."
    )
    anchor_state: Id | None = Field(
        description="pending, submitted, confirmed or failed for that checkpoint."
    )


class ParseStep(_Result):
    status: Literal["parsed", "ignored", "failed"]
    reason: str | None = Field(description="Why it was ignored or how it failed (parser text: data).")
    error_field: str | None = Field(description="The payload field the failure points at, if any (data).")
    records: int = Field(description="Canonical records the parse produced.")
    attempts: int = Field(description="Parses so far (the first one plus replays and redeliveries).")
    parser_version: Id
    updated_at: datetime


class DownstreamStep(_Result):
    consumed_by: dict[str, int] = Field(
        description="Detection-stream consumers that applied the event's messages, and how many each."
    )
    detections: list[Id] = Field(description="Ids of detections a rule wrote from this event (at most 20).")
    detection_count: int


class IngestionStatus(_Result):
    found: bool
    stage: Literal["unknown", "received", "sealed", "parsed", "ignored", "failed", "consumed"] = Field(
        description="How far the event got: received (not sealed), sealed (no parse yet), the parse "
        "outcome, or consumed (at least one downstream consumer applied it)."
    )
    inbox: InboxStep | None
    seal: SealStep | None
    parse: ParseStep | None
    downstream: DownstreamStep | None
    message: OurText


class ParseFailure(_Result):
    seq: int
    source: Id
    event_type: str | None = Field(description="The vendor's event type (data).")
    received_at: datetime
    reason: str | None = Field(description="The parser's error (data, may quote the payload).")
    error_field: str | None
    attempts: int
    parser_version: Id = Field(description="The parser version that last failed on it.")
    failed_at: datetime


class ParseFailurePage(_Result):
    items: list[ParseFailure]
    total_failed: int = Field(description="All of this merchant's events whose latest parse failed.")
    current_parser_version: Id = Field(description="The version a replay_event would parse with now.")
    next_cursor: Id | None = Field(description="Pass back for the next page; null on the last page.")


class ChainVerification(_Result):
    ok: bool
    from_seq: int
    to_seq: int = Field(description="Last seq checked (inclusive); 0 when the log is empty.")
    log_size: int = Field(description="All of this merchant's sealed events.")
    records_checked: int
    payloads_checked: int = Field(description="Raw payloads decrypted and re-hashed against the chain.")
    payloads_erased: int = Field(description="Payloads erased on purpose: their hashes still verify.")
    nodes_checked: int = Field(description="Stored Merkle nodes inside the range recomputed from leaves.")
    checkpoints_checked: int = Field(description="Signed checkpoints of a size inside the range.")
    first_bad_seq: int | None = Field(description="The first position that does not verify; null if ok.")
    problems: list[OurText] = Field(description="What failed, first problem first (at most 20).")
    note: OurText


class InclusionProof(_Result):
    seq: int
    leaf_index: int = Field(description="0-based leaf index (seq - 1).")
    tree_size: int = Field(description="Size of the signed checkpoint the proof is against.")
    event_hash: Id = Field(description="The leaf data: SHA-256 of the raw event bytes, hex.")
    chain_hash: Id
    proof: list[Id] = Field(description="RFC 6962 audit path, hex, leaf to root.")
    root: Id = Field(description="RFC 6962 root of the checkpoint, hex.")
    checkpoint_note: OurText = Field(
        description="The C2SP signed note (origin, size, base64 root, signature)."
    )
    key_name: Id
    public_key: Id = Field(description="Base64 Ed25519 public key that signs checkpoints.")


class ConsistencyProof(_Result):
    old_size: int
    new_size: int
    proof: list[Id] = Field(description="RFC 6962 consistency proof, hex.")
    old_root: Id
    new_root: Id
    old_checkpoint_note: OurText
    new_checkpoint_note: OurText
    key_name: Id
    public_key: Id


class CheckpointAnchor(_Result):
    tree_size: int
    root: Id
    created_at: datetime
    anchor_state: Id = Field(description="pending, submitted, confirmed (final) or failed.")
    anchor: Id | None = Field(description="Which anchor holds it (e.g. mock, opentimestamps, rekor).")
    reference: Id | None = Field(description="The anchor's own reference for it.")
    anchor_updated_at: datetime | None


class AnchorStatus(_Result):
    checkpoints: int
    by_state: dict[str, int] = Field(description="Checkpoints per anchor state.")
    latest_confirmed_size: int | None = Field(description="Largest tree size whose anchoring is final.")
    oldest_unconfirmed_at: datetime | None = Field(
        description="Creation time of the oldest checkpoint still pending or submitted (UTC)."
    )
    witnessed_size: int | None = Field(
        description="Tree size of the latest checkpoint the witness holds; null when no witness is set."
    )
    checkpoint: CheckpointAnchor | None = Field(description="The checkpoint asked for, or the newest.")


class ReplayOutcome(_Result):
    seq: int
    parsed: int
    ignored: int
    failed: int
    previous: ParseStep | None = Field(description="The parse outcome before this replay.")
    current: ParseStep = Field(description="The parse outcome now.")
    message: OurText
