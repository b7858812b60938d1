"""Use case "detections": reading what the rules found, replaying a rule over the stored history
(dry runs, which write nothing), and recording an investigator's outcome on a detection."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from core.auth.principal import store_filter
from core.paging import MAX_PAGE, as_datetime, decode_cursor, encode_cursor
from core.rules.errors import InvalidRequestError, NotFoundError
from core.rules.model import Rule
from core.rules.service import modes, store
from core.rules.service.base import Chirp
from core.rules.service.replays import replay
from core.rules.service.views import (
    DetectionDetail,
    DetectionPage,
    DryRunHit,
    DryRunResult,
    FamilyCounts,
    TrendReport,
    TrendSeries,
    detection_summary,
)

OUTCOME_LOOKBACK = timedelta(days=90)

# What the console's dashboards chart, as the rules that count towards each (docs/console.md).
MEASURES: dict[str, tuple[str, ...]] = {
    "voids": ("Q-VR-01", "Q-VR-03"),
    "refunds": ("Q-VR-02",),
    "discounts": ("Q-DM-01", "Q-DM-02"),
    "drawer variance": ("Q-DS-01",),
    "below-margin sales": ("Q-DM-03", "Q-ME-01", "Q-ME-02"),
}
TREND_KEYS = {"store": "location_id", "employee": "employee_id"}


class DetectionsUseCase:
    def __init__(self, chirp: Chirp) -> None:
        self._c = chirp

    def query_detections(
        self,
        merchant_id: str,
        *,
        rule_id: str | None = None,
        family: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        location_id: str | None = None,
        employee_id: str | None = None,
        include_suppressed: bool = True,
        cursor: str | None = None,
        limit: int = 50,
        stores: frozenset[str] | None = None,
    ) -> DetectionPage:
        """Newest first, ``limit`` at a time (at most 100); pass ``next_cursor`` back for the next page.
        ``stores``: the caller's token's stores (core/auth/principal.py); None: every store."""
        limit = max(1, min(limit, MAX_PAGE))
        locations = store_filter(stores, location_id)
        if locations is not None and not locations:
            return DetectionPage(items=[], next_cursor=None)  # a store this token does not see
        position = decode_cursor("detections", cursor, 2)
        after = (as_datetime(position[0]), str(position[1])) if position else None
        with self._c.db.tenant(merchant_id) as s:
            rows = store.detection_page(
                s,
                merchant_id,
                rule_id=rule_id,
                family=family,
                start=start,
                end=end,
                locations=locations,
                employee_id=employee_id,
                include_suppressed=include_suppressed,
                after=after,
                limit=limit + 1,
            )
        more = len(rows) > limit
        rows = rows[:limit]
        return DetectionPage(
            items=[detection_summary(r) for r in rows],
            next_cursor=encode_cursor("detections", [rows[-1].occurred_at, rows[-1].id]) if more else None,
        )

    def detection_trends(
        self,
        merchant_id: str,
        *,
        by: str = "store",
        weeks: int = 8,
        end: datetime | None = None,
        stores: frozenset[str] | None = None,
    ) -> TrendReport:
        """Weekly counts of each dashboard measure per store (or employee) over the ``weeks`` weeks
        ending at ``end`` (default now), the busiest first; of ``stores`` only when given."""
        if by not in TREND_KEYS:
            raise InvalidRequestError(f"by must be store or employee, got {by!r}")
        if not 1 <= weeks <= 52:
            raise InvalidRequestError(f"weeks must be between 1 and 52, got {weeks}")
        end = end or self._c.clock.now()
        edges = [end - timedelta(weeks=weeks - i) for i in range(weeks + 1)]
        with self._c.db.tenant(merchant_id) as s:
            rows = store.detection_tally(s, merchant_id, edges, TREND_KEYS[by], stores)
        return self._trends(by, edges, rows)

    def _trends(
        self, by: str, edges: list[datetime], rows: Sequence[tuple[str | None, str, int, int]]
    ) -> TrendReport:
        weeks = len(edges) - 1
        measure_of = {rule: m for m, rules in MEASURES.items() for rule in rules}
        counts: dict[tuple[str | None, str], list[int]] = {}
        for key, rule_id, bucket, n in rows:
            measure = measure_of.get(rule_id)
            if measure is not None:
                counts.setdefault((key, measure), [0] * weeks)[bucket] += n
        series = [
            TrendSeries(key=key, measure=measure, counts=c, total=sum(c))
            for (key, measure), c in counts.items()
        ]
        series.sort(key=lambda t: (str(t.key), list(MEASURES).index(t.measure)))
        return TrendReport(
            by=by, edges=edges, measures={m: list(r) for m, r in MEASURES.items()}, series=series
        )

    def dashboard(
        self,
        merchant_id: str,
        *,
        by: str = "store",
        weeks: int = 8,
        end: datetime,
        spans: Sequence[datetime],
        stores: frozenset[str] | None = None,
    ) -> tuple[TrendReport, list[FamilyCounts]]:
        """``detection_trends`` and ``family_counts`` of each [spans[i], spans[i + 1]) at once, from
        one pass over the detections: the same answers as calling them one by one."""
        if by not in TREND_KEYS:
            raise InvalidRequestError(f"by must be store or employee, got {by!r}")
        if not 1 <= weeks <= 52:
            raise InvalidRequestError(f"weeks must be between 1 and 52, got {weeks}")
        if len(spans) < 2 or any(b <= a for a, b in pairwise(spans)):
            raise InvalidRequestError("spans must be at least two increasing times")
        edges = [end - timedelta(weeks=weeks - i) for i in range(weeks + 1)]
        with self._c.db.tenant(merchant_id) as s:
            rows = store.dashboard_tally(s, merchant_id, edges, spans, TREND_KEYS[by], stores)
        report = self._trends(by, edges, [(k, r, w, n) for k, r, w, _m, n in rows if w is not None])
        families = [
            self._families(spans[i], spans[i + 1], [(r, n) for _k, r, _w, m, n in rows if m == i])
            for i in range(len(spans) - 1)
        ]
        return report, families

    def family_counts(
        self, merchant_id: str, start: datetime, end: datetime, *, stores: frozenset[str] | None = None
    ) -> FamilyCounts:
        """Unsuppressed detections per rule family in [start, end) (of ``stores`` only, when given)."""
        if end <= start:
            raise InvalidRequestError("end must be after start")
        with self._c.db.tenant(merchant_id) as s:
            rows = store.detection_tally(s, merchant_id, [start, end], locations=stores)
        return self._families(start, end, [(rule_id, n) for _key, rule_id, _bucket, n in rows])

    def _families(self, start: datetime, end: datetime, rows: Sequence[tuple[str, int]]) -> FamilyCounts:
        counts: dict[str, int] = {}
        for rule_id, n in rows:
            rule = self._c.catalog.rules.get(rule_id)
            family = rule.family.value if rule else "unknown"
            counts[family] = counts.get(family, 0) + n
        return FamilyCounts(start=start, end=end, counts=counts)

    def get_detection_detail(
        self, merchant_id: str, detection_id: str, *, stores: frozenset[str] | None = None
    ) -> DetectionDetail:
        with self._c.db.tenant(merchant_id) as s:
            row = store.detection(s, merchant_id, detection_id)
        if row is None or (stores is not None and row.location_id not in stores):
            raise NotFoundError(f"no detection {detection_id!r}")
        rule: Rule | None = self._c.catalog.rules.get(row.rule_id)
        return DetectionDetail(
            detection=detection_summary(row),
            rule_version=row.rule_version,
            catalog_version=row.catalog_version,
            config_version=row.config_version,
            family=row.family,
            evidence_seq=row.evidence_seq,
            event_kind=row.event_kind,
            entity_id=row.entity_id,
            detected_at=row.detected_at,
            drawer_session_id=row.drawer_session_id,
            params=row.params,
            measurements=row.measurements,
            subject=row.subject,
            snapshot=row.snapshot,
            suppression_reason=row.suppression_reason,
            allow_list_entry_id=row.allow_list_entry_id,
            rule_definition=rule.definition if rule else "",
        )

    def dry_run_rule(
        self,
        merchant_id: str,
        rule_id: str,
        start: datetime,
        end: datetime,
        params: Mapping[str, Any] | None = None,
        *,
        warmup_days: int = 30,
        sample: int = 20,
    ) -> DryRunResult:
        """What ``rule_id`` would have found in [start, end) with ``params`` over the stored history;
        writes nothing. Windows are warmed on the ``warmup_days`` before ``start``, reference data
        (store configs, categories, customers) on the whole journal before it."""
        rule = self._c.catalog.get(rule_id)
        if end <= start:
            raise InvalidRequestError("the dry run's end must be after its start")
        with self._c.db.tenant(merchant_id) as s:
            result = replay(
                s,
                self._c.engine,
                merchant_id,
                rule,
                start,
                end,
                config=store.load_config(s, merchant_id),
                warmup=timedelta(days=warmup_days),
                proposed={rule.id: dict(params or {})},
                reference_before=True,
            )
            outcomes = store.outcomes(s, merchant_id, rule_id, start - OUTCOME_LOOKBACK, end)
        false_positives = sum(1 for o in outcomes if o == modes.FALSE_POSITIVE)
        days = Counter(h.occurred_at.date().isoformat() for h in result.hits if not h.suppressed)
        return DryRunResult(
            rule_id=rule.id,
            start=start,
            end=end,
            params=dict(result.params.get(rule.id, {})),
            events_replayed=result.events_replayed,
            events_in_range=result.events_in_range,
            hits=result.count(rule.id),
            suppressed=sum(1 for h in result.hits if h.suppressed),
            hits_by_day=dict(sorted(days.items())),
            sample=[
                DryRunHit(
                    detection_id=h.detection_id,
                    occurred_at=h.occurred_at,
                    summary=h.summary,
                    severity=h.severity,
                    suppressed=h.suppressed,
                    suppression_reason=h.suppression_reason,
                    entity_id=h.entity_id,
                    measurements=dict(h.measurements),
                )
                for h in result.hits[:sample]
            ],
            outcomes=len(outcomes),
            false_positive_rate=(false_positives / len(outcomes)) if outcomes else None,
        )

    def record_outcome(
        self, merchant_id: str, detection_id: str, outcome: str, *, actor: str, reason: str = ""
    ) -> None:
        """Fox's case outcome on a detection: feeds the false-positive rate of the readiness check."""
        if outcome not in modes.OUTCOMES:
            raise InvalidRequestError(f"outcome must be one of {', '.join(modes.OUTCOMES)}")
        now = self._c.clock.now()
        with self._c.db.tenant(merchant_id) as s:
            row = store.detection(s, merchant_id, detection_id)
            if row is None:
                raise NotFoundError(f"no detection {detection_id!r}")
            before = row.outcome
            row.outcome, row.outcome_at = outcome, now
            store.save_detection(s, row)
            store.audit(
                s,
                merchant_id,
                at=now,
                actor=actor,
                action="detection.outcome",
                rule_id=row.rule_id,
                target=detection_id,
                before={"outcome": before},
                after={"outcome": outcome},
                reason=reason,
            )
