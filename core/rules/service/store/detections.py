"""Detections and their outbox: writing what the consumer found, publishing alerts, and reading
detections back for the tools."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from sqlalchemy import case, func, literal_column, update
from sqlmodel import Session, col, select

from core.db.dialect import POSTGRES, dialect_of, insert_for
from core.db.tables.rules import DetectionRow
from core.rules.service.store.sql import CHUNK

# What an episode's update rewrites; when it was first detected, publication and outcome stay.
KEPT = frozenset({"merchant_id", "id", "detected_at", "published_at", "outcome", "outcome_at"})


def write_detections(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert; an existing row is rewritten only by a later revision of the same detection (an
    episode that grew), so a redelivery is a no-op and a detection never moves backwards. An update
    in alerting mode is pending again: the outbox republishes it under the same detection id."""
    table = DetectionRow.__table__  # type: ignore[attr-defined]
    latest: dict[str, dict[str, Any]] = {}
    for row in rows:  # one statement must not touch a row twice: the batch's last revision wins
        held = latest.get(row["id"])
        if held is None or row["revision"] > held["revision"]:
            latest[row["id"]] = row
    chosen = list(latest.values())
    for start in range(0, len(chosen), CHUNK):
        stmt = insert_for(session)(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=["merchant_id", "id"],
            set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name not in KEPT},
            where=table.c.revision < stmt.excluded.revision,
        )
        session.execute(stmt, chosen[start : start + CHUNK])


def superseded_alert_state(alert_state: str, published_at: datetime | None) -> str:
    """A superseded detection's outbox state: one Fox was told about (any revision published) is
    ``pending`` again, so the outbox republishes it one revision later as withdrawn; one never
    published is never sent (``none``); one that was never an alert stays ``none``."""
    if alert_state == "none":
        return "none"
    return "pending" if published_at is not None else "none"


def pending_alerts(session: Session, merchant_id: str, limit: int = 500) -> list[DetectionRow]:
    return list(
        session.exec(
            select(DetectionRow)
            .where(
                DetectionRow.merchant_id == merchant_id,
                DetectionRow.alert_state == "pending",
            )
            .order_by(col(DetectionRow.occurred_at))
            .limit(limit)
        ).all()
    )


def mark_published(session: Session, merchant_id: str, ids: Sequence[str], now: datetime) -> None:
    if ids:
        session.execute(
            update(DetectionRow)
            .where(
                col(DetectionRow.merchant_id) == merchant_id,
                col(DetectionRow.id).in_(list(ids)),
            )
            .values(alert_state="published", published_at=now)
        )


def detection(session: Session, merchant_id: str, detection_id: str) -> DetectionRow | None:
    return session.get(DetectionRow, (merchant_id, detection_id))


def save_detection(session: Session, row: DetectionRow) -> None:
    session.add(row)


def detection_page(
    session: Session,
    merchant_id: str,
    *,
    rule_id: str | None,
    start: datetime | None,
    end: datetime | None,
    locations: frozenset[str] | None,
    employee_id: str | None,
    include_suppressed: bool,
    after: tuple[datetime, str] | None,
    limit: int,
    family: str | None = None,
) -> list[DetectionRow]:
    """Newest first, up to ``limit`` rows strictly older than the ``after`` keyset position;
    ``locations``: only these stores (None: every store)."""
    query = select(DetectionRow).where(DetectionRow.merchant_id == merchant_id)
    for column, value in (
        (DetectionRow.rule_id, rule_id),
        (DetectionRow.family, family),
        (DetectionRow.employee_id, employee_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if locations is not None:
        query = query.where(col(DetectionRow.location_id).in_(sorted(locations)))
    if start is not None:
        query = query.where(DetectionRow.occurred_at >= start)
    if end is not None:
        query = query.where(DetectionRow.occurred_at < end)
    if not include_suppressed:
        query = query.where(col(DetectionRow.suppressed).is_(False))
    if after is not None:
        at, last_id = after
        query = query.where(
            (col(DetectionRow.occurred_at) < at)
            | ((col(DetectionRow.occurred_at) == at) & (col(DetectionRow.id) < last_id))
        )
    query = query.order_by(col(DetectionRow.occurred_at).desc(), col(DetectionRow.id).desc()).limit(limit)
    return list(session.exec(query).all())


def outcomes(
    session: Session, merchant_id: str, rule_id: str, start: datetime, end: datetime | None = None
) -> list[str]:
    """The investigators' outcomes on ``rule_id``'s detections that occurred in [start, end)."""
    query = select(DetectionRow.outcome).where(
        DetectionRow.merchant_id == merchant_id,
        DetectionRow.rule_id == rule_id,
        col(DetectionRow.outcome).is_not(None),
        DetectionRow.occurred_at >= start,
    )
    if end is not None:
        query = query.where(DetectionRow.occurred_at < end)
    return [o for o in session.exec(query).all() if o is not None]


def as_utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def dashboard_tally(
    session: Session,
    merchant_id: str,
    edges: Sequence[datetime],
    spans: Sequence[datetime],
    by: str,
    locations: frozenset[str] | None = None,
) -> list[tuple[str | None, str, int | None, int | None, int]]:
    """``detection_tally`` over two sets of edges in one pass over the detections (the dashboard's
    weekly trends and its month-against-month families): counts of unsuppressed detections per
    (``by`` key, rule, bucket of ``edges``, bucket of ``spans``), a bucket None where the detection
    falls outside that set's range."""
    if len(edges) < 2 or len(spans) < 2 or (locations is not None and not locations):
        return []
    occurred = col(DetectionRow.occurred_at)

    def bucket(of: Sequence[datetime]) -> Any:
        inside = [(occurred < edge, i) for i, edge in enumerate(of[1:])]
        return case((occurred < of[0], None), *inside, else_=None)

    stride = edges[1] - edges[0]
    weekly = dialect_of(session) == POSTGRES and all(b - a == stride for a, b in pairwise(edges))
    # On Postgres the week's start, as one date_bin (a CASE of 26 edges costs more than the scan).
    week = (
        func.date_bin(literal_column(f"INTERVAL '{int(stride.total_seconds())} seconds'"), occurred, edges[0])
        if weekly
        else bucket(edges)
    )
    span = bucket(spans)
    key = col(getattr(DetectionRow, by))
    query = (
        select(key, col(DetectionRow.rule_id), week, span, func.count())
        .where(
            DetectionRow.merchant_id == merchant_id,
            occurred >= min(edges[0], spans[0]),
            occurred < max(edges[-1], spans[-1]),
            col(DetectionRow.suppressed).is_(False),
            *([] if locations is None else [col(DetectionRow.location_id).in_(sorted(locations))]),
        )
        .group_by(key, col(DetectionRow.rule_id), week, span)
    )
    weeks = len(edges) - 1
    starts: dict[Any, int | None] = {}  # a week's start → its bucket (a few dozen distinct values)

    def index(w: Any) -> int | None:
        if w is None or not weekly:
            return None if w is None else int(w)
        if w not in starts:
            i = (as_utc(w) - edges[0]) // stride
            starts[w] = i if 0 <= i < weeks else None
        return starts[w]

    return [
        (k, rule, index(w), None if m is None else int(m), int(n))
        for k, rule, w, m, n in session.exec(query).all()
    ]


def detection_tally(
    session: Session,
    merchant_id: str,
    edges: Sequence[datetime],
    by: str | None = None,
    locations: frozenset[str] | None = None,
) -> list[tuple[str | None, str, int, int]]:
    """Counts of unsuppressed detections per (store or employee, rule, bucket): bucket ``i`` is
    [edges[i], edges[i + 1]). ``by`` is ``location_id``, ``employee_id`` or None (one key, None);
    ``locations``: only these stores (None: every store).
    The bucketing is a CASE over the edges, so it is the same on SQLite and Postgres."""
    if len(edges) < 2 or (locations is not None and not locations):
        return []
    occurred = col(DetectionRow.occurred_at)
    bucket = case(*((occurred < edge, i) for i, edge in enumerate(edges[1:])), else_=len(edges) - 1)
    keys = [col(getattr(DetectionRow, by))] if by else []
    query = (
        select(*keys, col(DetectionRow.rule_id), bucket, func.count())
        .where(
            DetectionRow.merchant_id == merchant_id,
            occurred >= edges[0],
            occurred < edges[-1],
            col(DetectionRow.suppressed).is_(False),
            *([] if locations is None else [col(DetectionRow.location_id).in_(sorted(locations))]),
        )
        .group_by(*keys, col(DetectionRow.rule_id), bucket)
    )
    rows = session.exec(query).all()
    if by:
        return [(k, rule, int(b), int(n)) for k, rule, b, n in rows]
    return [(None, rule, int(b), int(n)) for rule, b, n in rows]
