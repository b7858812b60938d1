"""Untrusted text in Chirp results, cleaned before it reaches a model.

The core results are the tools' output types, so these functions return the same types with every
field that can carry typed-in or vendor text passed through ``clean``: allow-list reasons and scopes,
audit reasons and before/after values, detection summaries, ids, subjects and substrate snapshots
(item names, refund reasons and notes are cashier and customer text). Catalog text (titles,
definitions, parameter descriptions, pack effects) is ours and is left whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.rules.service.views import (
    AllowListEntryView,
    AuditEntry,
    AuditPage,
    DetectionDetail,
    DetectionPage,
    DetectionSummary,
    DryRunHit,
    DryRunResult,
    PackApplicationResult,
    PackChangeView,
    PackPreview,
    RuleDetail,
    TuneResult,
)
from servers.common import clean

MAX_KEY = 100


def scrub(value: Any) -> Any:
    """Every string inside a JSON-like value cleaned, keys included (a vendor payload's keys are data)."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, Mapping):
        return {clean(str(k), MAX_KEY): scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value


def _opt(text: str | None) -> str | None:
    return None if text is None else clean(text)


def entry(view: AllowListEntryView) -> AllowListEntryView:
    return view.model_copy(
        update={
            "scope": scrub(view.scope),
            "reason": clean(view.reason),
            "created_by": clean(view.created_by),
            "revoked_by": _opt(view.revoked_by),
            "revoke_reason": _opt(view.revoke_reason),
        }
    )


def rule_detail(detail: RuleDetail) -> RuleDetail:
    return detail.model_copy(update={"allow_list": [entry(e) for e in detail.allow_list]})


def tuned(result: TuneResult) -> TuneResult:
    return result.model_copy(update={"before": scrub(result.before), "after": scrub(result.after)})


def detection(summary: DetectionSummary) -> DetectionSummary:
    fields = ("summary", "employee_id", "customer_id", "location_id", "station_id", "bundle_key")
    return summary.model_copy(update={name: _opt(getattr(summary, name)) for name in fields})


def detections(page: DetectionPage) -> DetectionPage:
    return page.model_copy(update={"items": [detection(d) for d in page.items]})


def detection_detail(detail: DetectionDetail) -> DetectionDetail:
    return detail.model_copy(
        update={
            "detection": detection(detail.detection),
            "entity_id": _opt(detail.entity_id),
            "drawer_session_id": _opt(detail.drawer_session_id),
            "params": scrub(detail.params),
            "measurements": scrub(detail.measurements),
            "subject": scrub(detail.subject),
            "snapshot": scrub(detail.snapshot),
            "suppression_reason": _opt(detail.suppression_reason),
        }
    )


def _hit(hit: DryRunHit) -> DryRunHit:
    return hit.model_copy(
        update={
            "summary": clean(hit.summary),
            "suppression_reason": _opt(hit.suppression_reason),
            "entity_id": _opt(hit.entity_id),
            "measurements": scrub(hit.measurements),
        }
    )


def dry_run(result: DryRunResult) -> DryRunResult:
    return result.model_copy(
        update={"params": scrub(result.params), "sample": [_hit(h) for h in result.sample]}
    )


def _audit(item: AuditEntry) -> AuditEntry:
    return item.model_copy(
        update={
            "actor": clean(item.actor),
            "target": _opt(item.target),
            "before": scrub(item.before),
            "after": scrub(item.after),
            "reason": clean(item.reason),
        }
    )


def audit(page: AuditPage) -> AuditPage:
    return page.model_copy(update={"items": [_audit(a) for a in page.items]})


def _change(change: PackChangeView) -> PackChangeView:
    # ``current`` is the tenant's value, which an operator may have set to any text.
    return change.model_copy(update={"current": scrub(change.current)})


def pack_preview(preview: PackPreview) -> PackPreview:
    return preview.model_copy(update={"changes": [_change(c) for c in preview.changes]})


def pack_applied(result: PackApplicationResult) -> PackApplicationResult:
    return result.model_copy(
        update={"changes": [_change(c) for c in result.changes], "snapshot": scrub(result.snapshot)}
    )
