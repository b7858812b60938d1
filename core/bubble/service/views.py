"""Bubble's read side: what canary-bubble answers from the tables ``canary bubble run`` keeps
(``core/bubble/service/scoring.py``). Read-only, one merchant per call (row-level security underneath)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, tuple_

from core.bubble.dimensions import DIMENSIONS, UNITS
from core.bubble.service.results import (
    Anomaly,
    AnomalyPage,
    BaselineHistoryPage,
    DeviceBaseline,
    DeviceList,
    DeviceOverview,
    DimensionValue,
    Evidence,
    Revision,
    StoreDevice,
    StoreDevices,
    StorePattern,
    Thresholds,
)
from core.bubble.service.scoring import DEVICE_SCORES, EPISODES, REVISIONS, RUNS, STORE_SCORES
from core.db.uow import Database
from core.paging import MAX_PAGE, as_datetime, check_limit, decode_cursor, encode_cursor

WEEK = 168
MAX_WINDOW = timedelta(days=92)


class BubbleError(LookupError):
    """A caller's mistake (an unknown device or store, a bad window); the message says what to change."""

    user_facing = True


class BubbleViews:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get_device_baseline(
        self,
        merchant_id: str,
        device_id: str,
        at: datetime | None = None,
        *,
        stores: frozenset[str] | None = None,
    ) -> DeviceBaseline:
        """``stores`` (here and below): a store-limited token's; only the hours and episodes of
        those stores, and a device or store it has none of is unknown, as one that does not exist."""
        at = _utc(at)
        with self.db.tenant(merchant_id) as s:
            run = _run(s, merchant_id)
            where = and_(
                DEVICE_SCORES.c.merchant_id == merchant_id,
                DEVICE_SCORES.c.device_id == device_id,
                *_of_stores(DEVICE_SCORES.c.store_id, stores),
            )
            if at is not None:
                where = and_(where, DEVICE_SCORES.c.hour <= at)
            recent = s.execute(
                select(DEVICE_SCORES).where(where).order_by(DEVICE_SCORES.c.hour.desc()).limit(WEEK)
            ).all()
            if not recent:
                raise BubbleError(
                    f"no scored hours for device {device_id!r}"
                    + (f" at or before {at.isoformat()}" if at else "")
                    + ": use store_pattern or query_device_anomalies for the device ids Bubble knows"
                )
            counted = (
                s.execute(select(DEVICE_SCORES.c.hour).where(where).order_by(DEVICE_SCORES.c.hour))
                .scalars()
                .all()
            )
        latest = recent[0]
        return DeviceBaseline(
            device_id=latest.device_id,
            store_id=latest.store_id,
            hour=latest.hour,
            state=latest.state,
            score=latest.score,
            top_dimension=latest.top_dimension,
            dimensions=_values(latest.expected, latest.observed),
            week=_week(recent),
            hours_scored=len(counted),
            first_hour=counted[0],
            thresholds=Thresholds(**run.thresholds),
            scored_at=run.run_at,
        )

    def query_device_anomalies(
        self,
        merchant_id: str,
        *,
        device_id: str | None = None,
        store_id: str | None = None,
        scope: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 20,
        cursor: str | None = None,
        stores: frozenset[str] | None = None,
    ) -> AnomalyPage:
        check_limit(limit, MAX_PAGE)
        start, end = _utc(start), _utc(end)
        _window(start, end)
        if scope not in (None, "device", "store"):
            raise BubbleError("scope must be device or store (or omitted for both)")
        position = decode_cursor("bubble-anomalies", cursor, 2)
        e = EPISODES.c
        where = [e.merchant_id == merchant_id, *_of_stores(e.store_id, stores)]
        if device_id is not None:
            where.append(e.device_id == device_id)
        if store_id is not None:
            where.append(e.store_id == store_id)
        if scope is not None:
            where.append(e.scope == scope)
        if start is not None:
            where.append(e.end > start)
        if end is not None:
            where.append(e.start < end)
        if position is not None:
            after, ident = as_datetime(position[0]), str(position[1])
            where.append(or_(e.start < after, and_(e.start == after, e.id < ident)))
        with self.db.tenant(merchant_id) as s:
            _run(s, merchant_id)
            rows = s.execute(
                select(EPISODES).where(*where).order_by(e.start.desc(), e.id.desc()).limit(limit + 1)
            ).all()
        more = len(rows) > limit
        rows = rows[:limit]
        return AnomalyPage(
            items=[_anomaly(r) for r in rows],
            next_cursor=encode_cursor("bubble-anomalies", [rows[-1].start, rows[-1].id]) if more else None,
        )

    def store_pattern(
        self,
        merchant_id: str,
        store_id: str,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        stores: frozenset[str] | None = None,
    ) -> StorePattern:
        start, end = _utc(start), _utc(end)
        _window(start, end)
        d = DEVICE_SCORES.c
        with self.db.tenant(merchant_id) as s:
            _run(s, merchant_id)
            where = [d.merchant_id == merchant_id, d.store_id == store_id, *_of_stores(d.store_id, stores)]
            if start is not None:
                where.append(d.hour >= start)
            if end is not None:
                where.append(d.hour < end)
            hours = s.execute(
                select(d.device_id, d.hour, d.score, d.alert, d.state, d.top_dimension).where(*where)
            ).all()
            if not hours:
                raise BubbleError(
                    f"no scored hours for store {store_id!r} in that window: query_device_anomalies "
                    "lists the stores with episodes"
                )
            lo = start or min(h.hour for h in hours)
            hi = end or max(h.hour for h in hours) + timedelta(hours=1)
            st = STORE_SCORES.c
            store_alerts = s.execute(
                select(st.hour).where(
                    st.merchant_id == merchant_id,
                    st.store_id == store_id,
                    st.alert,
                    st.hour >= lo,
                    st.hour < hi,
                )
            ).all()
            e = EPISODES.c
            episodes = s.execute(
                select(EPISODES)
                .where(e.merchant_id == merchant_id, e.store_id == store_id, e.start >= lo, e.start < hi)
                .order_by(e.start.desc(), e.id.desc())
            ).all()
        by_device: dict[str, list[Any]] = defaultdict(list)
        alerted_at: Counter[datetime] = Counter()
        for h in hours:
            by_device[h.device_id].append(h)
            if h.alert:
                alerted_at[h.hour] += 1
        device_episodes = Counter(r.device_id for r in episodes if r.scope == "device")
        devices = []
        for device, rows in sorted(by_device.items()):
            scored = [r.score for r in rows if r.score is not None]
            tops = Counter(r.top_dimension for r in rows if r.alert and r.top_dimension)
            devices.append(
                StoreDevice(
                    device_id=device,
                    hours_scored=len(rows),
                    insufficient_hours=sum(r.state == "insufficient_history" for r in rows),
                    alerted_hours=sum(bool(r.alert) for r in rows),
                    episodes=device_episodes[device],
                    mean_score=round(sum(scored) / len(scored), 4) if scored else None,
                    top_dimension=tops.most_common(1)[0][0] if tops else "",
                )
            )
        return StorePattern(
            store_id=store_id,
            start=lo,
            end=hi,
            devices=devices,
            shared_alert_hours=sum(1 for n in alerted_at.values() if n >= 2),
            store_alerted_hours=len(store_alerts),
            store_episodes=[_anomaly(r) for r in episodes if r.scope == "store"],
        )

    def baseline_history(
        self,
        merchant_id: str,
        device_id: str,
        *,
        limit: int = 50,
        cursor: str | None = None,
        stores: frozenset[str] | None = None,
    ) -> BaselineHistoryPage:
        check_limit(limit, MAX_PAGE)
        position = decode_cursor("bubble-revisions", cursor, 2)
        r = REVISIONS.c
        where = [r.merchant_id == merchant_id, r.device_id == device_id]
        if position is not None:
            after, kind = as_datetime(position[0]), str(position[1])
            where.append(or_(r.at > after, and_(r.at == after, r.kind > kind)))
        with self.db.tenant(merchant_id) as s:
            _run(s, merchant_id)
            known = s.execute(
                select(r.device_id).where(r.merchant_id == merchant_id, r.device_id == device_id).limit(1)
            ).first()
            if known is not None and stores is not None:  # a device it has scored hours of at those stores
                d = DEVICE_SCORES.c
                known = s.execute(
                    select(d.device_id)
                    .where(
                        d.merchant_id == merchant_id,
                        d.device_id == device_id,
                        *_of_stores(d.store_id, stores),
                    )
                    .limit(1)
                ).first()
            if known is None:
                raise BubbleError(f"no baseline history for device {device_id!r}: it has not been scored")
            rows = s.execute(select(REVISIONS).where(*where).order_by(r.at, r.kind).limit(limit + 1)).all()
        more = len(rows) > limit
        rows = rows[:limit]
        return BaselineHistoryPage(
            device_id=device_id,
            items=[Revision(at=x.at, kind=x.kind, detail=x.detail) for x in rows],
            next_cursor=encode_cursor("bubble-revisions", [rows[-1].at, rows[-1].kind]) if more else None,
        )

    def devices(
        self, merchant_id: str, *, store_id: str | None = None, stores: frozenset[str] | None = None
    ) -> DeviceList:
        """Every scored device, per store, where it stands now (the console's Devices page).
        ``stores``: the caller is limited to these stores (a GM's token); ``store_id``: one store."""
        d, e, r = DEVICE_SCORES.c, EPISODES.c, REVISIONS.c
        where = [d.merchant_id == merchant_id]
        if store_id is not None:
            where.append(d.store_id == store_id)
        if stores is not None:
            where.append(d.store_id.in_(sorted(stores)))
        with self.db.tenant(merchant_id) as s:
            run = s.execute(select(RUNS.c.run_at).where(RUNS.c.merchant_id == merchant_id)).first()
            if run is None:
                return DeviceList(scored_at=None, stores=[])
            totals = s.execute(
                select(d.device_id, d.store_id, func.count(), func.max(d.hour))
                .where(*where)
                .group_by(d.device_id, d.store_id)
            ).all()
            keys = [(t[0], t[3]) for t in totals]
            latest = {
                row.device_id: row
                for row in (
                    s.execute(
                        select(d.device_id, d.state, d.score, d.top_dimension).where(
                            d.merchant_id == merchant_id, tuple_(d.device_id, d.hour).in_(keys)
                        )
                    ).all()
                    if keys
                    else []
                )
            }
            week = {
                device: last - timedelta(hours=WEEK - 1) for device, last in ((t[0], t[3]) for t in totals)
            }
            recent = Counter(
                row.device_id
                for row in s.execute(select(d.device_id, d.hour).where(*where, d.alert)).all()
                if row.hour >= week.get(row.device_id, row.hour)
            )
            chosen = {t[1] for t in totals}
            episodes = s.execute(
                select(e.scope, e.store_id, e.device_id, func.count(), func.max(e.start))
                .where(e.merchant_id == merchant_id, e.store_id.in_(sorted(chosen)))
                .group_by(e.scope, e.store_id, e.device_id)
            ).all()
            revisions = s.execute(
                select(r.device_id, r.at, r.kind, r.detail)
                .where(r.merchant_id == merchant_id, r.device_id.in_([t[0] for t in totals]))
                .order_by(r.at, r.kind)
            ).all()
        by_device = {(x.device_id): (x[3], x[4]) for x in episodes if x.scope == "device"}
        by_store = {x.store_id: (x[3], x[4]) for x in episodes if x.scope == "store"}
        last_revision = {row.device_id: row for row in revisions}  # ordered: the last one wins
        grouped: dict[str, list[DeviceOverview]] = defaultdict(list)
        for device, store, count, last in sorted(totals, key=lambda t: (t[1], t[0])):
            now = latest[device]
            revision = last_revision.get(device)
            n, first = by_device.get(device, (0, None))
            grouped[store].append(
                DeviceOverview(
                    device_id=device,
                    store_id=store,
                    last_hour=last,
                    state=now.state,
                    score=now.score,
                    top_dimension=now.top_dimension,
                    hours_scored=count,
                    alerted_week=recent[device],
                    episodes=n,
                    last_episode=_utc(first),
                    baseline=revision.kind if revision else "",
                    baseline_at=revision.at if revision else None,
                    baseline_detail=revision.detail if revision else "",
                )
            )
        return DeviceList(
            scored_at=run.run_at,
            stores=[
                StoreDevices(
                    store_id=store,
                    devices=rows,
                    store_episodes=by_store.get(store, (0, None))[0],
                    last_store_episode=_utc(by_store.get(store, (0, None))[1]),
                )
                for store, rows in sorted(grouped.items())
            ],
        )


def _of_stores(column: Any, stores: frozenset[str] | None) -> list[Any]:
    """The WHERE clause keeping rows to a store-limited token's stores; none for every store."""
    return [] if stores is None else [column.in_(sorted(stores))]


def _run(session: Any, merchant_id: str) -> Any:
    run = session.execute(select(RUNS).where(RUNS.c.merchant_id == merchant_id)).first()
    if run is None:
        raise BubbleError("Bubble has not scored this merchant yet: an operator runs `canary bubble run`")
    return run


def _utc(when: datetime | None) -> datetime | None:
    """A time without a zone is UTC (every time Bubble keeps is)."""
    if when is None:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _window(start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None:
        if end <= start:
            raise BubbleError("end must be after start")
        if end - start > MAX_WINDOW:
            raise BubbleError(f"the window is at most {MAX_WINDOW.days} days; narrow start and end")


def _values(expected: dict[str, Any], observed: dict[str, Any]) -> list[DimensionValue]:
    return [
        DimensionValue(dimension=d, unit=UNITS[d], expected=expected.get(d), observed=observed.get(d))
        for d in DIMENSIONS
    ]


def _week(rows: list[Any]) -> list[DimensionValue]:
    out = []
    for d in DIMENSIONS:
        pairs = [(r.expected.get(d), r.observed.get(d)) for r in rows]
        pairs = [(x, y) for x, y in pairs if x is not None and y is not None]
        out.append(
            DimensionValue(
                dimension=d,
                unit=UNITS[d],
                expected=round(sum(x for x, _ in pairs) / len(pairs), 4) if pairs else None,
                observed=round(sum(y for _, y in pairs) / len(pairs), 4) if pairs else None,
            )
        )
    return out


def _anomaly(r: Any) -> Anomaly:
    return Anomaly(
        episode_id=r.id,
        rule_id=r.rule_id,
        scope=r.scope,
        store_id=r.store_id,
        device_id=r.device_id,
        start=r.start,
        end=r.end,
        flagged_hours=r.hours,
        peak_score=r.peak_score,
        channel=r.channel,
        top_dimension=r.top_dimension,
        evidence=[
            Evidence(
                dimension=ev["dimension"],
                unit=ev["unit"],
                share=ev["share"],
                expected=ev["expected"],
                observed=ev["observed"],
            )
            for ev in r.evidence
        ],
    )
