"""Typed results of the Chirp service: what the canary-chirp MCP tools return, and the one place rows
become them (``entry_view``, ``parameter_view``, ``detection_summary`` at the end).

Small, purpose-built shapes: ids, numbers in cents, times in UTC. Snapshots carry the substrate rows
a detection read, which are retail data, so the server layer sanitises text before an LLM sees it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from core.db.tables.rules import AllowListEntryRow, DetectionRow
from core.rules.model import Parameter
from core.text import Id, OurText


class Result(BaseModel):
    model_config = ConfigDict(frozen=True)


class ParameterView(Result):
    name: Id
    kind: str
    description: OurText
    default: Any
    current: Any
    minimum: float | None = None
    maximum: float | None = None
    choices: list[OurText] = []
    unit: OurText = ""


class RuleSummary(Result):
    rule_id: Id
    family: str
    title: OurText
    severity: str
    queue: str
    rule_version: int
    mode: str
    config_version: int
    substrates: list[str]
    active_allow_list_entries: int


class RuleList(Result):
    catalog_version: Id
    items: list[RuleSummary]


class AllowListEntryView(Result):
    entry_id: Id
    rule_id: Id
    scope: dict[str, str]
    reason: str
    created_at: datetime
    created_by: str
    expires_at: datetime
    status: str  # active | expired | revoked
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    revoke_reason: str | None = None
    source: str = "operator"


class PackNote(Result):
    pack_id: Id
    allow_list: Id
    parameter: Id
    value: Any
    effect: OurText
    applied_to_tenant: bool


class RuleDetail(Result):
    rule_id: Id
    family: str
    title: OurText
    definition: OurText
    severity: str
    queue: str
    rule_version: int
    catalog_version: Id
    mode: str
    config_version: int
    config_source: str
    requires: list[str]
    optional: list[str]
    substrates: list[str]
    allow_scopes: list[str]
    vertical_note: OurText
    parameters: list[ParameterView]
    allow_list: list[AllowListEntryView]
    packs: list[PackNote]


class EntityFreshness(Result):
    entity: str
    last_seen_at: datetime | None
    events: int
    stale: bool


class RuleApplicability(Result):
    rule_id: Id
    status: str  # applicable | not_applicable
    message: OurText
    missing: list[str]
    degraded: list[str]  # optional fields absent: the rule runs on fallbacks


class Scorecard(Result):
    catalog_version: Id
    generated_at: datetime
    freshness_budget_hours: float
    entities: list[EntityFreshness]
    rules: list[RuleApplicability]


class DryRunHit(Result):
    detection_id: Id
    occurred_at: datetime
    summary: str
    severity: str
    suppressed: bool
    suppression_reason: str | None
    entity_id: str | None
    measurements: dict[str, Any]


class DryRunResult(Result):
    rule_id: Id
    start: datetime
    end: datetime
    params: dict[str, Any]
    events_replayed: int
    events_in_range: int
    hits: int
    suppressed: int
    hits_by_day: dict[str, int]
    sample: list[DryRunHit]
    outcomes: int
    false_positive_rate: float | None


class DetectionSummary(Result):
    detection_id: Id
    rule_id: Id
    severity: str
    queue: str
    mode: str
    occurred_at: datetime
    summary: str
    employee_id: str | None
    customer_id: str | None
    location_id: str | None
    station_id: str | None
    bundle_key: str | None
    suppressed: bool
    alert_state: str
    outcome: str | None


class DetectionPage(Result):
    items: list[DetectionSummary]
    next_cursor: Id | None


class DetectionDetail(Result):
    detection: DetectionSummary
    rule_version: int
    catalog_version: Id
    config_version: int
    family: str
    evidence_seq: int
    event_kind: str
    entity_id: str | None
    detected_at: datetime
    drawer_session_id: str | None
    params: dict[str, Any]
    measurements: dict[str, Any]
    subject: dict[str, Any]
    snapshot: dict[str, Any]
    suppression_reason: str | None
    allow_list_entry_id: Id | None
    rule_definition: OurText


class TuneResult(Result):
    rule_id: Id
    parameter: Id
    before: Any
    after: Any
    config_version: int
    source: str


class Readiness(Result):
    ready: bool
    reasons: list[OurText]
    lookback_days: int
    events: int
    hits: int
    hits_per_day: float
    outcomes: int
    false_positive_rate: float | None


class PromotionResult(Result):
    rule_id: Id
    from_mode: str
    to_mode: str
    applied: bool
    forced: bool
    config_version: int
    readiness: Readiness | None


class PackChangeView(Result):
    allow_list: Id
    allow_list_title: OurText
    rule_id: Id
    parameter: Id
    current: Any
    proposed: Any
    changes_value: bool
    effect: OurText


class PackPreview(Result):
    pack_id: Id
    pack_version: int
    title: OurText
    description: OurText
    changes: list[PackChangeView]
    notes: list[OurText]
    applied: bool


class PackApplicationResult(Result):
    application_id: Id
    pack_id: Id
    pack_version: int
    applied_at: datetime
    changes: list[PackChangeView]
    snapshot: dict[str, Any]


class CatalogPinResult(Result):
    before: Id | None
    after: Id
    rules: int


class AuditEntry(Result):
    audit_id: Id
    at: datetime
    actor: str
    action: str
    rule_id: Id | None
    target: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str


class AuditPage(Result):
    items: list[AuditEntry]
    next_cursor: Id | None


# From rows and rules ---------------------------------------------------------------------------------


def entry_view(row: AllowListEntryRow, now: datetime) -> AllowListEntryView:
    status = "revoked" if row.revoked_at else ("expired" if row.expires_at <= now else "active")
    return AllowListEntryView(
        entry_id=row.id,
        rule_id=row.rule_id,
        scope={str(k): str(v) for k, v in row.scope.items()},
        reason=row.reason,
        created_at=row.created_at,
        created_by=row.created_by,
        expires_at=row.expires_at,
        status=status,
        revoked_at=row.revoked_at,
        revoked_by=row.revoked_by,
        revoke_reason=row.revoke_reason,
        source=row.source,
    )


def plain(value: Any) -> Any:
    """Tuples (list parameters) as JSON lists."""
    return list(value) if isinstance(value, tuple) else value


def parameter_view(p: Parameter, value: Any) -> ParameterView:
    return ParameterView(
        name=p.name,
        kind=p.kind,
        description=p.description,
        default=plain(p.default),
        current=plain(value),
        minimum=p.minimum,
        maximum=p.maximum,
        choices=list(p.choices),
        unit=p.unit,
    )


def detection_summary(r: DetectionRow) -> DetectionSummary:
    return DetectionSummary(
        detection_id=r.id,
        rule_id=r.rule_id,
        severity=r.severity,
        queue=r.queue,
        mode=r.mode,
        occurred_at=r.occurred_at,
        summary=r.summary,
        employee_id=r.employee_id,
        customer_id=r.customer_id,
        location_id=r.location_id,
        station_id=r.station_id,
        bundle_key=r.bundle_key,
        suppressed=r.suppressed,
        alert_state=r.alert_state,
        outcome=r.outcome,
    )


class TrendSeries(Result):
    """One store's (or employee's) weekly counts of one measure, oldest week first."""

    key: str | None
    measure: str
    counts: list[int]
    total: int


class TrendReport(Result):
    """Unsuppressed detections per week over ``edges`` (week ``i`` is [edges[i], edges[i + 1])),
    grouped into the dashboard measures by store or employee."""

    by: str
    edges: list[datetime]
    measures: dict[str, list[str]]  # measure -> the rule ids it counts
    series: list[TrendSeries]


class FamilyCounts(Result):
    """Unsuppressed detections per rule family in [start, end)."""

    start: datetime
    end: datetime
    counts: dict[str, int]
