"""Fox (cases) tables, app schema: the cases alerts were bundled into and what analysts did with them.

- ``fox_alerts``: every alert Fox received from ``canary:alerts``, one row per detection id (a
  redelivered or updated alert is an upsert, never a second membership), with the case it joined —
  none for an informational alert. This is the case membership; ``withdrawn`` is the reason Chirp
  superseded the detection (a replay that reclassified its event, a rescore that no longer finds the
  episode), empty while it is live: a withdrawn member stays, but counts for nothing.
- ``fox_cases``: one row per case: queue, bundle key and the basis it was built from, the subject,
  the span of its alerts, its severity after escalation with every bump and its reason, and the
  investigation state (state, assignee, outcome) the analysts set.
- ``fox_transitions``: the audit of every state change (actor, from, to, reason, outcome, time).
- ``fox_notes``: analysts' notes on a case.
- ``fox_evidence``: detections, transactions and documents attached to a case, with the ledger
  receipt of the evidence record each came from.
- ``fox_policies``: a tenant's bundling policy per rule family (absent: the defaults in
  core/cases/domain/bundling.py).
- ``fox_notify_targets`` / ``fox_notifications``: where case notifications go, and their delivery log.
- ``fox_digest_subscriptions`` / ``fox_digest_sends``: who gets the scheduled digest, and one row per
  subscription and closed period (its delivery log).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field

from core.db.base import APP, TenantKey, utcnow
from core.domain.columns import UTCDateTime


class FoxAlert(TenantKey, table=True):
    __tablename__ = "fox_alerts"
    __table_args__ = (
        # rule_id, withdrawn: the digest's patterns, an index-only nested loop from the period's cases.
        Index("ix_fox_alerts_case", "merchant_id", "case_id", "rule_id", postgresql_include=["withdrawn"]),
        Index("ix_fox_alerts_rule_time", "merchant_id", "rule_id", "occurred_at"),
        # The partial days of the per-rule statistics (FoxService.rule_outcome_stats), index-only.
        Index(
            "ix_fox_alerts_time",
            "merchant_id",
            "occurred_at",
            postgresql_include=["rule_id", "case_id", "withdrawn", "location_id"],
        ),
        {"schema": APP},
    )

    detection_id: str = Field(primary_key=True, max_length=40)
    case_id: str | None = Field(default=None, max_length=40)  # None: informational, no case
    revision: int = 0
    rule_id: str = Field(max_length=16)
    family: str = Field(default="", max_length=32)
    severity: str = Field(max_length=16)
    queue: str = Field(default="", max_length=16)  # the queue Chirp stamped
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    received_at: datetime = Field(sa_type=UTCDateTime)
    summary: str = Field(default="", max_length=500)
    employee_id: str = Field(default="", max_length=160)
    customer_id: str = Field(default="", max_length=160)
    location_id: str = Field(default="", max_length=160)
    station_id: str = Field(default="", max_length=160)
    drawer_session_id: str = Field(default="", max_length=200)
    rule_bundle_key: str = Field(default="", max_length=300)
    withdrawn: str = Field(
        default="", max_length=120, sa_column_kwargs={"server_default": ""}
    )  # why Chirp superseded it; "" while live


class FoxRuleDay(TenantKey, table=True):
    """How many of a rule's alerts a case holds, per UTC day they happened (``case_id`` "" for the
    informational alerts that open none): ``fox_alerts`` counted by (rule, day, case), kept by the
    fox consumer in the transaction that writes the alerts, so the per-rule outcome statistics of a
    90-day window read one row per (rule, case, day) instead of every alert
    (``FoxService.rule_outcome_stats``). ``outcome`` is the case's while it is closed ("" while open or
    for none), set with the case's resolve, dismiss and reopen in their transaction, so the statistics
    need no join to the cases."""

    __tablename__ = "fox_rule_days"
    __table_args__ = (
        Index("ix_fox_rule_days_case", "merchant_id", "case_id"),  # a case's rows, for its outcome
        {"schema": APP},
    )

    day: date = Field(primary_key=True)
    rule_id: str = Field(primary_key=True, max_length=16)
    case_id: str = Field(primary_key=True, max_length=40)
    alerts: int = 0
    outcome: str = Field(default="", max_length=32, sa_column_kwargs={"server_default": ""})


class FoxCase(TenantKey, table=True):
    __tablename__ = "fox_cases"
    __table_args__ = (
        Index("ix_fox_cases_bundle", "merchant_id", "bundle_key", "last_at"),
        Index("ix_fox_cases_state", "merchant_id", "state", "severity_rank", "last_at"),
        Index("ix_fox_cases_opened", "merchant_id", "opened_at"),
        Index("ix_fox_cases_top", "merchant_id", "queue", "state", "severity_rank", "detections", "last_at"),
        # The digest (FoxService.digest): cases closed in a period; a store's open cases by severity.
        Index(
            "ix_fox_cases_closed",
            "merchant_id",
            "closed_at",
            postgresql_include=["outcome", "opened_at", "location_id"],  # index-only counts
        ),
        Index(
            "ix_fox_cases_store", "merchant_id", "state", "location_id", "severity_rank", "opened_at", "id"
        ),
        {"schema": APP},
    )

    id: str = Field(primary_key=True, max_length=40)
    queue: str = Field(max_length=16)  # fraud | review
    bundle_key: str = Field(max_length=300)
    basis: str = Field(max_length=32)  # what the key was built from, after any fallback
    family: str = Field(max_length=32)
    title: str = Field(max_length=300)
    window_hours: int
    employee_id: str = Field(default="", max_length=160)
    customer_id: str = Field(default="", max_length=160)
    location_id: str = Field(default="", max_length=160)
    station_id: str = Field(default="", max_length=160)
    drawer_session_id: str = Field(default="", max_length=200)
    first_at: datetime = Field(sa_type=UTCDateTime)
    last_at: datetime = Field(sa_type=UTCDateTime)
    detections: int = 0  # its live members
    withdrawn: int = Field(
        default=0, sa_column_kwargs={"server_default": "0"}
    )  # its withdrawn members (docs/fox.md, "Withdrawn detections")
    base_severity: str = Field(max_length=16)  # the highest of its detections
    severity: str = Field(max_length=16)  # after escalation
    severity_rank: int = 0
    escalations: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)  # bumps + reasons
    state: str = Field(default="open", max_length=16)
    assignee: str | None = Field(default=None, max_length=120)
    outcome: str | None = Field(default=None, max_length=32)
    opened_at: datetime = Field(sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class FoxTransition(TenantKey, table=True):
    __tablename__ = "fox_transitions"
    __table_args__ = (Index("ix_fox_transitions_case", "merchant_id", "case_id", "at"), {"schema": APP})

    id: str = Field(primary_key=True, max_length=40)
    case_id: str = Field(max_length=40)
    action: str = Field(max_length=16)
    from_state: str = Field(max_length=16)
    to_state: str = Field(max_length=16)
    actor: str = Field(max_length=120)
    reason: str = Field(default="", max_length=1_000)
    outcome: str | None = Field(default=None, max_length=32)
    assignee: str | None = Field(default=None, max_length=120)
    at: datetime = Field(sa_type=UTCDateTime)


class FoxNote(TenantKey, table=True):
    __tablename__ = "fox_notes"
    __table_args__ = (Index("ix_fox_notes_case", "merchant_id", "case_id", "at"), {"schema": APP})

    id: str = Field(primary_key=True, max_length=40)
    case_id: str = Field(max_length=40)
    author: str = Field(max_length=120)
    body: str = Field(max_length=4_000)
    at: datetime = Field(sa_type=UTCDateTime)


class FoxEvidence(TenantKey, table=True):
    __tablename__ = "fox_evidence"
    __table_args__ = ({"schema": APP},)

    case_id: str = Field(primary_key=True, max_length=40)
    kind: str = Field(primary_key=True, max_length=16)  # detection | transaction | document
    ref: str = Field(primary_key=True, max_length=300)
    evidence_seq: int | None = None
    receipt: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    attached_by: str = Field(max_length=120)
    note: str = Field(default="", max_length=1_000)
    at: datetime = Field(sa_type=UTCDateTime)


class FoxPolicy(TenantKey, table=True):
    __tablename__ = "fox_policies"
    __table_args__ = ({"schema": APP},)

    family: str = Field(primary_key=True, max_length=32)  # a rule family, or "*" for the rest
    by: str = Field(max_length=32)
    window_hours: int
    updated_by: str = Field(max_length=120)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class FoxNotifyTarget(TenantKey, table=True):
    """Where a tenant's case notifications go: a webhook (Slack-compatible JSON, signed with a key
    kept in the merchant's keyring) or an email address, from a minimum severity on."""

    __tablename__ = "fox_notify_targets"
    __table_args__ = ({"schema": APP},)

    id: str = Field(primary_key=True, max_length=40)
    kind: str = Field(max_length=16)  # webhook | email
    address: str = Field(max_length=500)  # the URL or the email address
    min_severity: str = Field(max_length=16)
    enabled: bool = True
    created_by: str = Field(max_length=120)
    created_at: datetime = Field(sa_type=UTCDateTime)


class FoxNotification(TenantKey, table=True):
    """The delivery log: one row per case and target, written with the case change that made the case
    reach the target's severity (so exactly once), retried with backoff until delivered."""

    __tablename__ = "fox_notifications"
    __table_args__ = (
        Index("ix_fox_notifications_due", "merchant_id", "state", "next_attempt_at"),
        {"schema": APP},
    )

    id: str = Field(primary_key=True, max_length=40)
    case_id: str = Field(max_length=40)
    target_id: str = Field(max_length=40)
    severity: str = Field(max_length=16)  # the case's severity when it was queued
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    state: str = Field(default="pending", max_length=16)  # pending | delivered
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class FoxEscalationRule(TenantKey, table=True):
    """A tenant's escalation count rules (core/cases/domain/escalation.py). A tenant with none runs
    the defaults; a tenant with any runs exactly its own."""

    __tablename__ = "fox_escalation_rules"
    __table_args__ = ({"schema": APP},)

    name: str = Field(primary_key=True, max_length=64)
    config: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # escalation.rule_config()
    updated_by: str = Field(max_length=120)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class FoxDigestSubscription(TenantKey, table=True):
    """Who gets the case digest by email, daily or weekly (core/cases/service/digests.py)."""

    __tablename__ = "fox_digest_subscriptions"
    __table_args__ = ({"schema": APP},)

    id: str = Field(primary_key=True, max_length=40)
    address: str = Field(max_length=320)
    period: str = Field(max_length=16)  # daily | weekly
    enabled: bool = True
    created_by: str = Field(max_length=120)
    created_at: datetime = Field(sa_type=UTCDateTime)


class FoxDigestSend(TenantKey, table=True):
    """One row per subscription and period: inserted when the period closes (its id derives from the
    two, so a period is queued once), retried with backoff until the mail server accepts it."""

    __tablename__ = "fox_digest_sends"
    __table_args__ = (
        Index("ix_fox_digest_sends_due", "merchant_id", "state", "next_attempt_at"),
        {"schema": APP},
    )

    id: str = Field(primary_key=True, max_length=40)
    subscription_id: str = Field(max_length=40)
    period_end: datetime = Field(sa_type=UTCDateTime)
    state: str = Field(default="pending", max_length=16)  # pending | delivered
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
