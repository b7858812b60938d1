"""Chirp (Q) tables, app schema: detections and everything that decides them.

- ``detections``: what a rule found, with the substrate rows it read, the rule and catalog version,
  the parameter values in force and the allow-list decision. Written in observation and alerting
  modes (never in dry-run); ``alert_state`` is the outbox for ``canary:alerts``.
- ``rule_configs`` / ``rule_config_history``: each rule's mode and parameter overrides per tenant,
  and every version of them.
- ``allow_list_entries``: scoped, reasoned, expiring suppressions; revoked rows stay for the audit.
- ``rule_audit_log``: who changed what, before and after, and why.
- ``rule_state``: the windows and baselines, one row per slice, so a restarted consumer continues.
- ``rule_event_journal``: the facts each event carried when the consumer saw it (point-in-time
  backtests replay this, not today's upserted rows).
- ``catalog_pins`` and ``pack_applications``: the catalog version a tenant runs, and vertical packs
  applied with the configuration they replaced.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Index, Text
from sqlmodel import Field

from core.db.base import APP, TenantKey, utcnow
from core.domain.columns import UTCDateTime


class DetectionRow(TenantKey, table=True):
    __tablename__ = "detections"
    __table_args__ = (
        Index("ix_detections_time", "merchant_id", "occurred_at"),
        Index("ix_detections_rule_time", "merchant_id", "rule_id", "occurred_at"),
        Index("ix_detections_alert_state", "merchant_id", "alert_state"),
        # the detections an evidence seq triggered: what a replay that re-reads the seq supersedes
        Index("ix_detections_seq", "merchant_id", "evidence_seq"),
        {"schema": APP},
    )

    id: str = Field(primary_key=True, max_length=40)
    rule_id: str = Field(max_length=16)
    rule_version: int
    catalog_version: str = Field(max_length=16)
    family: str = Field(max_length=32)
    severity: str = Field(max_length=16)
    queue: str = Field(max_length=16)
    mode: str = Field(max_length=16)
    evidence_seq: int
    event_kind: str = Field(max_length=40)
    entity_id: str | None = Field(default=None, max_length=300)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    detected_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    employee_id: str | None = Field(default=None, max_length=160)
    customer_id: str | None = Field(default=None, max_length=160)
    location_id: str | None = Field(default=None, max_length=160)
    station_id: str | None = Field(default=None, max_length=160)
    drawer_session_id: str | None = Field(default=None, max_length=200)
    bundle_key: str | None = Field(default=None, max_length=300)
    summary: str = Field(max_length=500)
    config_version: int = 0
    params: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    measurements: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    subject: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    snapshot: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    suppressed: bool = False
    suppression_reason: str | None = Field(default=None, max_length=500)
    allow_list_entry_id: str | None = Field(default=None, max_length=40)
    alert_state: str = Field(default="none", max_length=16)  # none | pending | published
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    outcome: str | None = Field(default=None, max_length=32)  # set by Fox when a case closes
    outcome_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # An episode's detection (Q-VR-03's cluster) is updated as it grows: how many times, and when last.
    revision: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RuleConfigRow(TenantKey, table=True):
    __tablename__ = "rule_configs"
    __table_args__: ClassVar[dict[str, str]] = {"schema": APP}

    rule_id: str = Field(primary_key=True, max_length=16)
    mode: str = Field(max_length=16)
    params: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # overrides of the defaults
    version: int = 1
    source: str = Field(default="operator", max_length=64)  # operator | pack:<id>@<version>
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: str = Field(max_length=120)


class RuleConfigHistoryRow(TenantKey, table=True):
    __tablename__ = "rule_config_history"
    __table_args__: ClassVar[dict[str, str]] = {"schema": APP}

    rule_id: str = Field(primary_key=True, max_length=16)
    version: int = Field(primary_key=True)
    mode: str = Field(max_length=16)
    params: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    change: str = Field(max_length=32)  # tune | promote | demote | pack | pack_override
    source: str = Field(max_length=64)
    reason: str = Field(max_length=1_000)
    changed_at: datetime = Field(sa_type=UTCDateTime)
    changed_by: str = Field(max_length=120)


class AllowListEntryRow(TenantKey, table=True):
    __tablename__ = "allow_list_entries"
    __table_args__ = (Index("ix_allow_list_rule", "merchant_id", "rule_id"), {"schema": APP})

    id: str = Field(primary_key=True, max_length=40)
    rule_id: str = Field(max_length=16)
    scope: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    reason: str = Field(max_length=1_000)
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_by: str = Field(max_length=120)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_by: str | None = Field(default=None, max_length=120)
    revoke_reason: str | None = Field(default=None, max_length=1_000)
    expiry_logged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    source: str = Field(default="operator", max_length=64)
    version: int = 1


class RuleAuditRow(TenantKey, table=True):
    __tablename__ = "rule_audit_log"
    __table_args__ = (Index("ix_rule_audit_time", "merchant_id", "at"), {"schema": APP})

    id: str = Field(primary_key=True, max_length=40)
    at: datetime = Field(sa_type=UTCDateTime)
    actor: str = Field(max_length=120)
    action: str = Field(max_length=40)
    rule_id: str | None = Field(default=None, max_length=16)
    target: str | None = Field(default=None, max_length=120)
    before: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    reason: str = Field(default="", max_length=1_000)


class RuleStateRow(TenantKey, table=True):
    __tablename__ = "rule_state"
    __table_args__: ClassVar[dict[str, str]] = {"schema": APP}

    slice: str = Field(primary_key=True, max_length=64)
    data: str = Field(sa_type=Text)
    version: int = 1
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RuleEventJournalRow(TenantKey, table=True):
    __tablename__ = "rule_event_journal"
    __table_args__ = (Index("ix_rule_journal_time", "merchant_id", "occurred_at"), {"schema": APP})

    seq: int = Field(primary_key=True)
    kind: str = Field(primary_key=True, max_length=40)
    entity_id: str = Field(primary_key=True, max_length=300)
    source: str = Field(max_length=16)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    facts: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class CatalogPinRow(TenantKey, table=True):
    __tablename__ = "catalog_pins"
    __table_args__: ClassVar[dict[str, str]] = {"schema": APP}

    catalog_version: str = Field(max_length=16)
    pinned_at: datetime = Field(sa_type=UTCDateTime)
    pinned_by: str = Field(max_length=120)
    reason: str = Field(default="", max_length=1_000)


class PackApplicationRow(TenantKey, table=True):
    __tablename__ = "pack_applications"
    __table_args__: ClassVar[dict[str, str]] = {"schema": APP}

    id: str = Field(primary_key=True, max_length=40)
    pack_id: str = Field(max_length=40)
    pack_version: int
    applied_at: datetime = Field(sa_type=UTCDateTime)
    applied_by: str = Field(max_length=120)
    reason: str = Field(default="", max_length=1_000)
    status: str = Field(default="applied", max_length=16)  # applied | superseded
    changes: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    snapshot: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # the configs it replaced
