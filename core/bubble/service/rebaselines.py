"""Fox's outcomes feed Bubble: a device case closed as a false positive re-baselines the device, a
store case the store and its devices (docs/bubble.md "Re-baselining from Fox").

When a Fox case is closed (``dismiss_case`` / ``resolve_case``) its outcome is written on each of its
detections (``app.detections.outcome``). The next scoring run records, once, every A-BUBBLE-DEVICE
and A-BUBBLE-STORE detection whose outcome is ``false_positive`` in ``app.bubble_rebaselines``: its
device (empty for a store detection, whose store is the detection's location), the end of its
episode as it stood then (the time the device or store re-baselines from), the case and the
analyst's reason. The run then passes a ``Rebaseline`` (``StoreRebaseline``) to the model for every
recorded row whose detection still carries that outcome: reopening the case (which clears it)
withdraws the re-baseline, closing it again as a false positive restores it at the same time.
Because ``at`` is fixed when first recorded, later rescores are deterministic; the rows are
analysts' decisions, so ``canary rebuild bubble`` keeps them.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, and_, or_, select
from sqlmodel import Session

from core.bubble import Rebaseline, StoreRebaseline
from core.db.dialect import insert_for
from core.db.tables.bubble import BubbleRebaseline
from core.db.tables.cases import FoxAlert, FoxTransition
from core.db.tables.rules import DetectionRow

DEVICE_RULE = "A-BUBBLE-DEVICE"
STORE_RULE = "A-BUBBLE-STORE"
RULES = (DEVICE_RULE, STORE_RULE)
FALSE_POSITIVE = "false_positive"
REBASELINES: Table = BubbleRebaseline.__table__  # type: ignore[attr-defined]
DETECTIONS: Table = DetectionRow.__table__  # type: ignore[attr-defined]
ALERTS: Table = FoxAlert.__table__  # type: ignore[attr-defined]
TRANSITIONS: Table = FoxTransition.__table__  # type: ignore[attr-defined]


def record(session: Session, merchant_id: str, now: datetime) -> int:
    """Record the device and store detections closed as false positives since the last run; how many."""
    rows = _unrecorded(session, merchant_id, now)
    if rows:
        session.execute(insert_for(session)(REBASELINES).on_conflict_do_nothing(), rows)
    return len(rows)


def _unrecorded(session: Session, merchant_id: str, now: datetime) -> list[dict[str, Any]]:
    """The rows ``record`` would add: closed as false positives, not recorded yet."""
    d, r = DETECTIONS.c, REBASELINES.c
    fresh = session.execute(
        select(d.id, d.rule_id, d.station_id, d.location_id, d.measurements)
        .outerjoin(REBASELINES, and_(r.merchant_id == d.merchant_id, r.detection_id == d.id))
        .where(
            d.merchant_id == merchant_id,
            d.rule_id.in_(RULES),
            d.outcome == FALSE_POSITIVE,
            or_(
                and_(d.rule_id == DEVICE_RULE, d.station_id.is_not(None)),
                and_(d.rule_id == STORE_RULE, d.location_id.is_not(None)),
            ),
            r.detection_id.is_(None),
        )
    ).all()
    if not fresh:
        return []
    cases = dict(
        session.execute(
            select(ALERTS.c.detection_id, ALERTS.c.case_id).where(
                ALERTS.c.merchant_id == merchant_id, ALERTS.c.detection_id.in_([row.id for row in fresh])
            )
        ).all()
    )
    rows = []
    for row in fresh:
        case_id = cases.get(row.id)
        rows.append(
            {
                "merchant_id": merchant_id,
                "detection_id": row.id,
                "device_id": row.station_id if row.rule_id == DEVICE_RULE else "",
                "at": datetime.fromisoformat(row.measurements["end"]),
                "case_id": case_id,
                "reason": _reason(session, merchant_id, case_id)[:1_000],
                "recorded_at": now,
            }
        )
    return rows


def in_force(session: Session, merchant_id: str) -> list[Rebaseline | StoreRebaseline]:
    """The re-baselines whose detection is still closed as a false positive, in time order."""
    d, r = DETECTIONS.c, REBASELINES.c
    rows = session.execute(
        select(r.device_id, r.at, r.reason, d.rule_id, d.location_id)
        .join(DETECTIONS, and_(d.merchant_id == r.merchant_id, d.id == r.detection_id))
        .where(r.merchant_id == merchant_id, d.outcome == FALSE_POSITIVE)
        .order_by(r.at, r.device_id, r.detection_id)
    ).all()
    out: list[Rebaseline | StoreRebaseline] = []
    for row in rows:
        reason = row.reason or "closed as a false positive"
        if row.rule_id == STORE_RULE:
            out.append(StoreRebaseline(row.location_id, row.at, reason))
        else:
            out.append(Rebaseline(row.device_id, row.at, reason))
    return out


def would_be_in_force(session: Session, merchant_id: str) -> list[Rebaseline | StoreRebaseline]:
    """What the next run would pass the model (``in_force`` after ``record``), without writing:
    for a replay that must write nothing."""
    out = in_force(session, merchant_id)
    stores = dict(
        session.execute(
            select(DETECTIONS.c.id, DETECTIONS.c.location_id).where(
                DETECTIONS.c.merchant_id == merchant_id, DETECTIONS.c.rule_id == STORE_RULE
            )
        ).all()
    )
    for row in _unrecorded(session, merchant_id, datetime.now(UTC)):
        if row["device_id"]:
            out.append(Rebaseline(row["device_id"], row["at"], row["reason"]))
        else:
            out.append(StoreRebaseline(stores[row["detection_id"]], row["at"], row["reason"]))
    return out


def fingerprint(session: Session, merchant_id: str) -> str:
    """Which device and store detections are closed as false positives now: housekeeping rescores
    when it changes (a case dismissed or reopened), not only when the device-hours do."""
    d = DETECTIONS.c
    ids = session.execute(
        select(d.id)
        .where(d.merchant_id == merchant_id, d.rule_id.in_(RULES), d.outcome == FALSE_POSITIVE)
        .order_by(d.id)
    ).scalars()
    return hashlib.sha256("|".join(ids).encode()).hexdigest()


def _reason(session: Session, merchant_id: str, case_id: str | None) -> str:
    if case_id is None:
        return "closed as a false positive"
    t = TRANSITIONS.c
    said = session.execute(
        select(t.actor, t.reason)
        .where(t.merchant_id == merchant_id, t.case_id == case_id, t.outcome == FALSE_POSITIVE)
        .order_by(t.at.desc(), t.id.desc())
        .limit(1)
    ).first()
    if said is None:
        return f"case {case_id} closed as a false positive"
    return f"case {case_id} closed as a false positive by {said.actor}: {said.reason}"
