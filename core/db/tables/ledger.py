"""The evidence ledger (app schema): inbox → sealed evidence chain → Merkle log and checkpoints.

Append-only by grant as well as by habit: the application role may INSERT and SELECT evidence,
Merkle nodes and inscriptions, never UPDATE or DELETE them (see ``core.db.roles``). Only the inbox
(payload bytes, sealing marker) and checkpoints (anchor state) change after they are written.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field

from core.db.base import APP, TenantKey, utcnow
from core.domain.columns import Bytes, UTCDateTime


class InboxEntry(TenantKey, table=True):
    """Raw bytes as received, encrypted with the merchant's data key; durable before the 2xx."""

    __tablename__ = "inbox"
    __table_args__ = (
        Index("ix_inbox_unsealed", "merchant_id", "received_at", postgresql_where="sealed_seq IS NULL"),
        {"schema": APP},
    )

    id: str = Field(primary_key=True, max_length=40)
    source: str = Field(max_length=16)
    source_type: str = Field(max_length=16)
    source_event_id: str | None = Field(default=None, max_length=200)
    event_type: str | None = Field(default=None, max_length=100)
    api_version: str | None = Field(default=None, max_length=32)
    event_hash: bytes = Field(sa_type=Bytes)
    size_bytes: int
    payload: bytes | None = Field(
        default=None, sa_type=Bytes
    )  # nonce || AES-GCM ciphertext; None once erased
    key_version: int = 1
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sealed_seq: int | None = None
    sealed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    erased_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DedupKey(TenantKey, table=True):
    """Vendor event ids seen recently; a repeat inside the window is answered ``duplicate``."""

    __tablename__ = "dedup_keys"
    __table_args__ = {"schema": APP}

    source: str = Field(primary_key=True, max_length=16)
    source_event_id: str = Field(primary_key=True, max_length=200)
    inbox_id: str = Field(max_length=40)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


class EvidenceRecord(TenantKey, table=True):
    """One link of the merchant's hash chain: ``chain_hash = SHA-256(prev_chain_hash || event_hash)``.
    ``seq`` is assigned under the merchant's advisory lock; the two unique constraints turn any
    writer that bypassed the lock into an error instead of a silent fork."""

    __tablename__ = "evidence_records"
    __table_args__ = (
        UniqueConstraint("merchant_id", "prev_chain_hash", name="uq_evidence_prev"),
        UniqueConstraint("merchant_id", "inbox_id", name="uq_evidence_inbox"),
        {"schema": APP},
    )

    seq: int = Field(primary_key=True)
    inbox_id: str = Field(max_length=40)
    event_hash: bytes = Field(sa_type=Bytes)
    prev_chain_hash: bytes = Field(sa_type=Bytes)
    chain_hash: bytes = Field(sa_type=Bytes)
    source: str = Field(max_length=16)
    source_type: str = Field(max_length=16)
    source_event_id: str | None = Field(default=None, max_length=200)
    event_type: str | None = Field(default=None, max_length=100)
    received_at: datetime = Field(sa_type=UTCDateTime)
    sealed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    schema_version: int = 1


class MerkleNode(TenantKey, table=True):
    """Hashes of perfect subtrees of the merchant's RFC 6962 log (level 0 = leaves), enough to serve
    any root or proof without re-hashing the log."""

    __tablename__ = "merkle_nodes"
    __table_args__ = {"schema": APP}

    level: int = Field(primary_key=True)
    idx: int = Field(primary_key=True)
    hash: bytes = Field(sa_type=Bytes)


class Checkpoint(TenantKey, table=True):
    """A signed (tree size, root) closing a seal batch, and its anchoring state."""

    __tablename__ = "checkpoints"
    __table_args__ = {"schema": APP}

    tree_size: int = Field(primary_key=True)
    root: bytes = Field(sa_type=Bytes)
    note: str  # C2SP signed note text
    key_name: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    anchor_state: str = Field(default="pending", max_length=16)
    anchor_receipt: str | None = None
    anchor_updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class EventInscription(TenantKey, table=True):
    """Where an event sits in the Merkle log, and the first checkpoint that covers it."""

    __tablename__ = "event_inscriptions"
    __table_args__ = {"schema": APP}

    seq: int = Field(primary_key=True)
    leaf_index: int
    checkpoint_size: int


class IngestionLogEntry(TenantKey, table=True):
    """What parsing made of each sealed event: parsed, ignored (with why) or failed (with the error).
    Failed rows stay until a replay after a parser fix turns them into parsed ones."""

    __tablename__ = "ingestion_log"
    __table_args__ = (Index("ix_ingestion_log_status", "merchant_id", "status"), {"schema": APP})

    seq: int = Field(primary_key=True)
    status: str = Field(max_length=16)  # parsed | ignored | failed
    reason: str | None = None
    error_field: str | None = Field(default=None, max_length=200)
    records: int = 0
    attempts: int = 1
    parser_version: str = Field(max_length=32)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # What the last parse that was not a failure made of the seq: ``named``, the (kind, entity id)
    # pairs it published; ``retracted``, pairs earlier readings named that it retracts, and
    # ``removed``, the canonical keys those retractions deleted (core/pipeline/retraction.py). None
    # on rows written before it was kept.
    entities: dict[str, Any] | None = Field(default=None, sa_type=JSON)


class IngestionCount(TenantKey, table=True):
    """How many ``ingestion_log`` rows of the merchant have each status, kept by the parse stage in
    the transaction that writes those rows (core/pipeline/ingestion_log.py), so pipeline health reads
    a few rows instead of counting the log. Derived: always equal to a ``GROUP BY status`` of the log."""

    __tablename__ = "ingestion_counts"
    __table_args__ = {"schema": APP}

    status: str = Field(primary_key=True, max_length=16)
    events: int = 0


class ProcessedMessage(TenantKey, table=True):
    """Idempotency record: a consumer's effect and this row commit together, so a redelivered
    message finds its key and has no second effect."""

    __tablename__ = "processed_messages"
    __table_args__ = {"schema": APP}

    consumer: str = Field(primary_key=True, max_length=64)
    message_key: str = Field(primary_key=True, max_length=200)
    processed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
