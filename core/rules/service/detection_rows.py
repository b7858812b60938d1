"""How an evaluation becomes a stored detection: JSON-safe snapshots of the rows a rule read."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel

from core.rules.engine import Evaluation
from core.rules.model import Mode


def jsonable(value: Any) -> Any:
    """Canonical records as their JSON dump, dataclasses as dicts, times as ISO text."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return str(value)


def detection_row(ev: Evaluation, merchant_id: str, detected_at: datetime) -> dict[str, Any]:
    """The ``detections`` row for an evaluation in observation or alerting mode."""
    finding, subject = ev.finding, ev.finding.subject
    alerting = ev.mode is Mode.ALERTING and ev.suppression is None
    return {
        "merchant_id": merchant_id,
        "id": ev.detection_id,
        "rule_id": ev.rule.id,
        "rule_version": ev.rule.version,
        "catalog_version": ev.catalog_version,
        "family": ev.rule.family.value,
        "severity": ev.severity.value,
        "queue": ev.rule.queue.value,
        "mode": ev.mode.value,
        "evidence_seq": ev.facts.seq,
        "event_kind": ev.facts.kind[:40],
        "entity_id": (finding.entity_id or ev.facts.entity_id)[:300],
        "occurred_at": finding.occurred_at,
        "detected_at": detected_at,
        "updated_at": detected_at,
        "revision": ev.revision,
        "employee_id": subject.employee_id,
        "customer_id": subject.customer_id,
        "location_id": subject.location_id,
        "station_id": subject.station_id,
        "drawer_session_id": subject.drawer_session_id,
        "bundle_key": finding.bundle_key,
        "summary": finding.summary[:500],
        "config_version": ev.config_version,
        "params": jsonable(ev.params),
        "measurements": jsonable(finding.measurements),
        "subject": jsonable(subject),
        "snapshot": jsonable(dict(finding.evidence)),
        "suppressed": ev.suppression is not None,
        "suppression_reason": ev.suppression.reason[:500] if ev.suppression else None,
        "allow_list_entry_id": ev.suppression.entry_id if ev.suppression else None,
        "alert_state": "pending" if alerting else "none",
    }
