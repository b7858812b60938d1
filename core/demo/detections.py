"""A tenant's detections, read back for matching against the simulator's labels."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from core.db.tables.rules import DetectionRow
from core.db.uow import Database
from core.demo.matching import Detected


def _refs(row: DetectionRow) -> tuple[str, ...]:
    subject: dict[str, Any] = row.subject or {}
    refs = [
        row.entity_id,
        row.employee_id,
        row.customer_id,
        row.station_id,
        row.location_id,
        row.drawer_session_id,
        subject.get("vendor_id"),
        *(subject.get("categories") or ()),
    ]
    return tuple(r for r in refs if isinstance(r, str) and r)


def load_detections(db: Database, merchant_id: str, *, include_suppressed: bool = False) -> list[Detected]:
    """Every detection the tenant's rules wrote, oldest first. Suppressed ones (an allow-list entry
    said so) never reach a queue, so by default they are not scored."""
    query = select(DetectionRow).where(DetectionRow.merchant_id == merchant_id)
    if not include_suppressed:
        query = query.where(col(DetectionRow.suppressed).is_(False))
    with db.tenant(merchant_id) as s:
        rows = s.exec(query.order_by(col(DetectionRow.occurred_at), col(DetectionRow.id))).all()
        return [
            Detected(
                id=r.id,
                rule_id=r.rule_id,
                family=r.family,
                queue=r.queue,
                occurred_at=r.occurred_at,
                refs=_refs(r),
            )
            for r in rows
        ]
