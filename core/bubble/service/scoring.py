"""Bubble's scoring in the shell: score a merchant's stored device-hours with the pure model and keep
what it found (``canary bubble run``, docs/bubble.md "Scoring the stored hours").

A run reads every row of ``app.bubble_device_hours`` for the merchant, calls ``core.bubble.score``
(the same function ``canary bubble score`` calls on a CSV) and replaces the merchant's device scores,
store scores, episodes, baseline revisions and run record in one transaction under ``BUBBLE_LOCK``
(the observations consumer takes the same lock, so a run sees a consistent set of hours). The model
walks the hours from the first, so the same device-hours and thresholds give the same rows: a rerun
is the rebuild. Housekeeping (``core/pipeline/workers.py``: ``canary worker sweeper`` and the embedded
``canary serve``) calls ``rescore_if_changed``: a merchant whose device-hours changed since its last
run is rescored with that run's thresholds.

Episodes are kept here with their rule id (``A-BUBBLE-DEVICE`` / ``A-BUBBLE-STORE``) and, in the same
transaction, become Chirp detections through the tenant's modes, parameters and allow-lists
(``core/bubble/service/signals.py``); alerting ones are published to ``canary:alerts`` after the
commit when the caller passes a publisher (the CLI and housekeeping do), else by Chirp's next batch.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, select
from sqlmodel import Session

from core.bubble import DEFAULT_THRESHOLDS, DIMENSIONS, DeviceHour, Result, Thresholds, calibrate, score
from core.bubble.frame import InputError
from core.bubble.results import DeviceScore, Episode
from core.bubble.service import rebaselines
from core.bubble.service.observations import BUBBLE_LOCK, HOURS
from core.bubble.service.signals import SignalSummary, write_signals
from core.clock import Clock, SystemClock
from core.db.base import utcnow
from core.db.dialect import insert_for
from core.db.tables.bubble import (
    BubbleBaselineRevision,
    BubbleDeviceScore,
    BubbleEpisodeRow,
    BubbleScoringRun,
    BubbleStoreScore,
)
from core.db.uow import Database
from core.rules.service.consumer import Publisher, publish_pending

log = logging.getLogger(__name__)
DEVICE_RULE, STORE_RULE = "A-BUBBLE-DEVICE", "A-BUBBLE-STORE"
DEVICE_SCORES: Table = BubbleDeviceScore.__table__  # type: ignore[attr-defined]
STORE_SCORES: Table = BubbleStoreScore.__table__  # type: ignore[attr-defined]
EPISODES: Table = BubbleEpisodeRow.__table__  # type: ignore[attr-defined]
REVISIONS: Table = BubbleBaselineRevision.__table__  # type: ignore[attr-defined]
RUNS: Table = BubbleScoringRun.__table__  # type: ignore[attr-defined]
OUTPUTS = (DEVICE_SCORES, STORE_SCORES, EPISODES, REVISIONS, RUNS)
CHUNK = 500
GAP = DIMENSIONS.index("gap_minutes")
NETWORK = DIMENSIONS.index("network_events")


@dataclass(frozen=True)
class RunSummary:
    merchant_id: str
    device_hours: int
    store_hours: int
    alerted_hours: int
    device_episodes: int
    store_episodes: int
    thresholds: str  # where the thresholds came from
    # what became of the episodes in Chirp's detections
    signals: SignalSummary = field(default_factory=SignalSummary)
    published: int = 0  # alerts published to canary:alerts after the run


def stored_hours(session: Session, merchant_id: str, before: datetime | None = None) -> list[DeviceHour]:
    """The merchant's device-hours as the model reads them (those before ``before`` when given), in a
    stable order."""
    query = select(HOURS).where(HOURS.c.merchant_id == merchant_id)
    if before is not None:
        query = query.where(HOURS.c.hour < before)
    rows = session.execute(query.order_by(HOURS.c.hour, HOURS.c.device_id)).all()
    return [
        DeviceHour(
            device_id=r.device_id,
            store_id=r.store_id,
            hour=r.hour,
            transactions=r.transactions,
            amount_cents=r.amount_cents,
            voids=r.voids,
            refunds=r.refunds,
            no_sales=r.no_sales,
            cash_tenders=r.cash_tenders,
            gap_minutes_mean=r.gap_minutes_mean,
            distinct_employees=r.distinct_employees,
            network_events=r.network_events,
        )
        for r in rows
    ]


def fingerprint(session: Session, merchant_id: str) -> str | None:
    """What the merchant's device-hours look like: their number, devices, range and every column's
    total, with which device detections Fox closed as false positives, hashed; ``None`` when there
    are no hours. Housekeeping rescores when it changes."""
    h = HOURS.c
    totals = [
        func.count(),
        func.count(func.distinct(h.device_id)),
        func.min(h.hour),
        func.max(h.hour),
        *(
            func.sum(getattr(h, c))
            for c in (
                "transactions",
                "amount_cents",
                "voids",
                "refunds",
                "no_sales",
                "cash_tenders",
                "distinct_employees",
                "network_events",
            )
        ),
        func.sum(h.gap_minutes_mean),
    ]
    row = session.execute(select(*totals).where(h.merchant_id == merchant_id)).one()
    if not row[0]:
        return None
    values = [
        v.isoformat() if isinstance(v, datetime) else (round(float(v), 3) if v is not None else None)
        for v in row
    ]
    values.append(rebaselines.fingerprint(session, merchant_id))  # cases closed as false positives
    return hashlib.sha256(json.dumps(values).encode()).hexdigest()


def rescore_if_changed(
    db: Database, merchant_id: str, *, publisher: Publisher | None = None, clock: Clock | None = None
) -> RunSummary | None:
    """The schedule (``core/pipeline/workers.py`` housekeeping): rescore the merchant when its
    device-hours changed since the last run, with the last run's thresholds. ``None``: nothing to do."""
    with db.tenant(merchant_id) as session:
        current = fingerprint(session, merchant_id)
        last = session.execute(select(RUNS).where(RUNS.c.merchant_id == merchant_id)).first()
    if current is None or (last is not None and last.hours_fingerprint == current):
        return None
    thresholds = Thresholds(**last.thresholds) if last is not None else DEFAULT_THRESHOLDS
    try:
        return run(db, merchant_id, thresholds=thresholds, publisher=publisher, clock=clock)
    except InputError as exc:  # e.g. a device seen in two stores: the operator must look at it
        log.warning("bubble: cannot score merchant %s: %s", merchant_id, exc)
        return None


def run(
    db: Database,
    merchant_id: str,
    calibrate_until: datetime | None = None,
    *,
    thresholds: Thresholds | None = None,
    publisher: Publisher | None = None,
    clock: Clock | None = None,
) -> RunSummary:
    """Score the merchant's stored device-hours and replace what Bubble keeps of the last run, and
    bring its A-BUBBLE-* detections in line with the episodes found. ``calibrate_until``: the hours
    before it are a clean window that sets the thresholds (else the defaults, or ``thresholds`` when
    given). Raises ``CalibrationError`` when the window is too small to calibrate on."""
    clock = clock or SystemClock()
    with BUBBLE_LOCK.tenant(db, merchant_id) as session:
        hours = stored_hours(session, merchant_id)
        if thresholds is None:
            thresholds = (
                calibrate(hours, calibrate_until) if calibrate_until and hours else DEFAULT_THRESHOLDS
            )
        rebaselines.record(session, merchant_id, clock.now())
        result = score(hours, thresholds, rebaselines=rebaselines.in_force(session, merchant_id))
        write(session, merchant_id, hours, thresholds, result)
        signals = write_signals(session, merchant_id, result.episodes, clock.now())
        session.execute(
            RUNS.update()
            .where(RUNS.c.merchant_id == merchant_id)
            .values(hours_fingerprint=fingerprint(session, merchant_id))
        )
    published = 0
    if publisher is not None:
        while (sent := publish_pending(db, publisher, merchant_id, clock)) > 0:
            published += sent
    return RunSummary(
        merchant_id,
        len(result.devices),
        len(result.stores),
        sum(d.alert for d in result.devices),
        sum(e.scope == "device" for e in result.episodes),
        sum(e.scope == "store" for e in result.episodes),
        thresholds.source,
        signals,
        published,
    )


def write(
    session: Session, merchant_id: str, hours: Sequence[DeviceHour], thresholds: Thresholds, result: Result
) -> None:
    for table in OUTPUTS:
        session.execute(table.delete().where(table.c.merchant_id == merchant_id))
    has_network = {(h.device_id, h.hour) for h in hours if h.network_events is not None}
    _insert(session, DEVICE_SCORES, [_device_row(merchant_id, d, has_network) for d in result.devices])
    _insert(
        session,
        STORE_SCORES,
        [
            {
                "merchant_id": merchant_id,
                "store_id": s.store_id,
                "hour": s.hour,
                "score": round(s.score, 6),
                "alert": s.alert,
                "top_dimension": s.top_dimension,
                "hourly": round(s.hourly, 6),
                "drift": round(s.drift, 6),
                "episode_id": s.episode_id,
            }
            for s in result.stores
        ],
    )
    _insert(session, EPISODES, [episode_row(merchant_id, e) for e in result.episodes])
    revisions: dict[tuple[str, datetime, str], dict[str, Any]] = {}
    for r in result.revisions:
        revisions.setdefault(
            (r.device_id, r.at, r.kind),
            {
                "merchant_id": merchant_id,
                "device_id": r.device_id,
                "at": r.at,
                "kind": r.kind,
                "detail": r.detail,
            },
        )
    _insert(session, REVISIONS, list(revisions.values()))
    session.execute(
        insert_for(session)(RUNS).values(
            merchant_id=merchant_id,
            thresholds=asdict(thresholds),
            first_hour=min((h.hour for h in hours), default=None),
            last_hour=max((h.hour for h in hours), default=None),
            device_hours=len(result.devices),
            episodes=len(result.episodes),
            run_at=utcnow(),
        )
    )


def episode_row(merchant_id: str, e: Episode) -> dict[str, Any]:
    return {
        "merchant_id": merchant_id,
        "id": e.id,
        "rule_id": DEVICE_RULE if e.scope == "device" else STORE_RULE,
        "scope": e.scope,
        "store_id": e.store_id,
        "device_id": e.device_id,
        "start": e.start,
        "end": e.end,
        "hours": e.hours,
        "peak_score": e.peak_score,
        "channel": e.channel,
        "top_dimension": e.top_dimension,
        "evidence": [asdict(ev) for ev in e.evidence],
    }


def _device_row(merchant_id: str, d: DeviceScore, has_network: set[tuple[str, datetime]]) -> dict[str, Any]:
    expected: dict[str, float | None] = dict(zip(DIMENSIONS, d.expected, strict=True))
    observed: dict[str, float | None] = dict(zip(DIMENSIONS, d.observed, strict=True))
    if d.observed[0] < 2:  # no mean gap below two transactions
        expected["gap_minutes"] = observed["gap_minutes"] = None
    if (d.device_id, d.hour) not in has_network:  # no telemetry: the dimension is not scored
        expected["network_events"] = observed["network_events"] = None
    return {
        "merchant_id": merchant_id,
        "device_id": d.device_id,
        "hour": d.hour,
        "store_id": d.store_id,
        "score": None if d.score is None else round(d.score, 6),
        "alert": d.alert,
        "state": d.state,
        "top_dimension": d.top_dimension,
        "hourly": round(d.hourly, 6),
        "drift": round(d.drift, 6),
        "episode_id": d.episode_id,
        "expected": expected,
        "observed": observed,
    }


def _insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        session.execute(table.insert(), rows[start : start + CHUNK])


def snapshot(db: Database, merchant_id: str) -> dict[str, list[tuple[Any, ...]]]:
    """What a rerun must reproduce (everything but the run's own timestamp), in a stable order."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with db.tenant(merchant_id) as session:
        for table in OUTPUTS:
            columns = [c for c in table.c if c.name not in ("merchant_id", "run_at", "hours_fingerprint")]
            keys = [c for c in table.primary_key.columns if c.name != "merchant_id"]
            rows = session.execute(
                select(*columns).where(table.c.merchant_id == merchant_id).order_by(*keys)
            ).all()
            out[table.name] = [tuple(r) for r in rows]
    return out
