"""The Chirp core service: exactly what the canary-chirp MCP tools need (DESIGN §8), as typed results.

Reads: ``list_rules``, ``get_rule``, ``substrate_scorecard``, ``dry_run_rule``, ``query_detections``,
``get_detection_detail``, ``preview_vertical_pack``, ``audit_log``. Writes, each audit-logged with
actor, before/after and reason: ``tune_rule_threshold``, ``add_allow_list_entry``,
``revoke_allow_list_entry``, ``promote_rule``, ``demote_rule``, ``apply_vertical_pack``,
``pin_catalog_version``, ``record_outcome`` (for Fox). Every method runs in one tenant transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from core.clock import Clock
from core.db.tables.customers import Customer
from core.db.tables.documents import ItemCategoryRow, StoreConfigRow
from core.db.tables.rules import AllowListEntryRow, CatalogPinRow, DetectionRow, RuleStateRow
from core.db.uow import Database
from core.rules import allow_lists, modes, scorecard, store, tuning
from core.rules.admin import AdminMixin
from core.rules.backtest import backtest
from core.rules.catalog import Catalog, default_catalog
from core.rules.engine import Engine
from core.rules.errors import InvalidRequestError, NotFoundError
from core.rules.model import Mode, Rule
from core.rules.packs import packs_touching
from core.rules.paging import decode_cursor, encode_cursor
from core.rules.results import (
    AllowListEntryView,
    AuditEntry,
    AuditPage,
    CaseView,
    DetectionDetail,
    DetectionPage,
    DetectionSummary,
    DryRunHit,
    DryRunResult,
    PackNote,
    ParameterView,
    RuleDetail,
    RuleList,
    RuleSummary,
    Scorecard,
)
from core.rules.state import RuleState

MAX_PAGE = 200
REFERENCE_TABLES: Mapping[str, Any] = {
    "store_config": StoreConfigRow,
    "item_category": ItemCategoryRow,
    "customer": Customer,
}


class ChirpService(AdminMixin):
    def __init__(
        self,
        db: Database,
        clock: Clock,
        catalog: Catalog | None = None,
        *,
        readiness: modes.ReadinessPolicy | None = None,
        max_allow_days: int = allow_lists.MAX_EXPIRY_DAYS,
    ) -> None:
        self.db, self.clock = db, clock
        self.catalog = catalog or default_catalog()
        self.engine = Engine(self.catalog)
        self.readiness = readiness or modes.ReadinessPolicy()
        self.max_allow_days = max_allow_days

    # Rules ---------------------------------------------------------------------------------------

    def list_rules(self, merchant_id: str, family: str | None = None) -> RuleList:
        with self.db.tenant(merchant_id) as s:
            config = store.load_config(s, merchant_id)
            version = config.catalog_version or self.catalog.latest
            now = self.clock.now()
            items = []
            for rule in self.catalog.rules_for(version):
                if family and rule.family.value != family:
                    continue
                settings = config.rules.get(rule.id)
                items.append(
                    RuleSummary(
                        rule_id=rule.id,
                        family=rule.family.value,
                        title=rule.title,
                        severity=rule.severity.value,
                        queue=rule.queue.value,
                        rule_version=rule.version,
                        mode=(settings.mode if settings else Mode.DRY_RUN).value,
                        config_version=settings.version if settings else 0,
                        substrates=[x.value for x in rule.substrates],
                        active_allow_list_entries=sum(
                            1 for e in config.allow_list if e.rule_id == rule.id and e.applies_at(now)
                        ),
                    )
                )
        return RuleList(catalog_version=version, items=items)

    def get_rule(self, merchant_id: str, rule_id: str) -> RuleDetail:
        rule = self.catalog.get(rule_id)
        with self.db.tenant(merchant_id) as s:
            held = tuning.current(s, merchant_id, rule)
            pin = s.get(CatalogPinRow, merchant_id)
            entries = s.exec(
                select(AllowListEntryRow)
                .where(
                    AllowListEntryRow.merchant_id == merchant_id,
                    AllowListEntryRow.rule_id == rule_id,
                )
                .order_by(col(AllowListEntryRow.created_at))
            ).all()
            applied = set(self._applied_packs(s, merchant_id))
            now = self.clock.now()
            values = rule.resolve(held.params)
            return RuleDetail(
                rule_id=rule.id,
                family=rule.family.value,
                title=rule.title,
                definition=rule.definition,
                severity=rule.severity.value,
                queue=rule.queue.value,
                rule_version=rule.version,
                catalog_version=pin.catalog_version if pin else self.catalog.latest,
                mode=held.mode,
                config_version=held.version,
                config_source=held.source,
                requires=list(rule.requires),
                optional=list(rule.optional),
                substrates=[x.value for x in rule.substrates],
                allow_scopes=[x.value for x in rule.allow_scopes],
                vertical_note=rule.vertical_note,
                parameters=[_parameter(p, values[p.name]) for p in rule.parameters],
                allow_list=[entry_view(e, now) for e in entries],
                packs=[
                    PackNote(
                        pack_id=p.id,
                        allow_list=c.allow_list,
                        parameter=c.parameter,
                        value=_plain(c.value),
                        effect=c.effect,
                        applied_to_tenant=p.id in applied,
                    )
                    for p, c in packs_touching(rule.id)
                ],
                cases=[CaseView(name=c.name, source=c.source.value, positive=c.positive) for c in rule.cases],
            )

    # Substrate -----------------------------------------------------------------------------------

    def substrate_scorecard(self, merchant_id: str) -> Scorecard:
        """Per rule, applicable or "not applicable: missing <field>", and when each entity was last seen."""
        with self.db.tenant(merchant_id) as s:
            return self._scorecard(s, merchant_id)

    def _scorecard(self, s: Session, merchant_id: str) -> Scorecard:
        row = s.get(RuleStateRow, (merchant_id, "substrate:0"))
        state = RuleState()
        if row is not None:
            state.load({"substrate:0": row.data})
        reference = self._reference_fields(s, merchant_id)
        pin = s.get(CatalogPinRow, merchant_id)
        version = pin.catalog_version if pin else self.catalog.latest
        return scorecard.build(
            self.catalog.rules_for(version),
            catalog_version=version,
            now=self.clock.now(),
            entities=state.get("substrate", "entities") or {},
            fields=state.get("substrate", "fields") or {},
            reference_fields=reference,
        )

    def _reference_fields(self, s: Session, merchant_id: str) -> set[str]:
        tracked = self.catalog.tracked_fields()
        present: set[str] = set()
        for entity, table in REFERENCE_TABLES.items():
            names = [n for n in tracked.get(entity, ()) if n in table.model_fields]
            if not names:
                continue
            counts = s.execute(
                select(*[func.count(getattr(table, n)) for n in names]).where(
                    table.merchant_id == merchant_id
                )
            ).one()
            present |= {f"{entity}.{n}" for n, count in zip(names, counts, strict=True) if count}
        return present

    # Dry runs --------------------------------------------------------------------------------------

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
        writes nothing. Windows are warmed on the ``warmup_days`` before ``start``."""
        rule = self.catalog.get(rule_id)
        if end <= start:
            raise InvalidRequestError("the dry run's end must be after its start")
        with self.db.tenant(merchant_id) as s:
            config = store.load_config(s, merchant_id)
            events = store.load_journal(s, merchant_id, start - timedelta(days=warmup_days), end)
            outcomes, false_positives = self._outcomes(s, merchant_id, rule_id, start, end)
        result = backtest(
            events,
            self.engine,
            rule_ids=[rule.id],
            start=start,
            end=end,
            base=config,
            proposed={rule.id: dict(params or {})},
        )
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
            outcomes=outcomes,
            false_positive_rate=(false_positives / outcomes) if outcomes else None,
        )

    def _outcomes(
        self, s: Session, merchant_id: str, rule_id: str, start: datetime, end: datetime
    ) -> tuple[int, int]:
        rows = s.exec(
            select(DetectionRow.outcome).where(
                DetectionRow.merchant_id == merchant_id,
                DetectionRow.rule_id == rule_id,
                col(DetectionRow.outcome).is_not(None),
                DetectionRow.occurred_at >= start - timedelta(days=90),
                DetectionRow.occurred_at < end,
            )
        ).all()
        return len(rows), sum(1 for o in rows if o == modes.FALSE_POSITIVE)

    # Detections ------------------------------------------------------------------------------------

    def query_detections(
        self,
        merchant_id: str,
        *,
        rule_id: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        location_id: str | None = None,
        employee_id: str | None = None,
        include_suppressed: bool = True,
        cursor: str | None = None,
        limit: int = 50,
    ) -> DetectionPage:
        """Newest first, ``limit`` at a time (at most 200); pass ``next_cursor`` back for the next page."""
        limit = max(1, min(limit, MAX_PAGE))
        query = select(DetectionRow).where(DetectionRow.merchant_id == merchant_id)
        for column, value in (
            (DetectionRow.rule_id, rule_id),
            (DetectionRow.location_id, location_id),
            (DetectionRow.employee_id, employee_id),
        ):
            if value is not None:
                query = query.where(column == value)
        if start is not None:
            query = query.where(DetectionRow.occurred_at >= start)
        if end is not None:
            query = query.where(DetectionRow.occurred_at < end)
        if not include_suppressed:
            query = query.where(col(DetectionRow.suppressed).is_(False))
        if cursor:
            at, last_id = decode_cursor(cursor)
            query = query.where(
                (col(DetectionRow.occurred_at) < at)
                | ((col(DetectionRow.occurred_at) == at) & (col(DetectionRow.id) < last_id))
            )
        query = query.order_by(col(DetectionRow.occurred_at).desc(), col(DetectionRow.id).desc()).limit(
            limit + 1
        )
        with self.db.tenant(merchant_id) as s:
            rows = list(s.exec(query).all())
        more = len(rows) > limit
        rows = rows[:limit]
        return DetectionPage(
            items=[_summary(r) for r in rows],
            next_cursor=encode_cursor(rows[-1].occurred_at, rows[-1].id) if more else None,
        )

    def get_detection_detail(self, merchant_id: str, detection_id: str) -> DetectionDetail:
        with self.db.tenant(merchant_id) as s:
            row = s.get(DetectionRow, (merchant_id, detection_id))
        if row is None:
            raise NotFoundError(f"no detection {detection_id!r}")
        rule: Rule | None = self.catalog.rules.get(row.rule_id)
        return DetectionDetail(
            detection=_summary(row),
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

    # Audit -----------------------------------------------------------------------------------------

    def audit_log(
        self,
        merchant_id: str,
        *,
        rule_id: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> AuditPage:
        from core.db.tables.rules import RuleAuditRow

        limit = max(1, min(limit, MAX_PAGE))
        query = select(RuleAuditRow).where(RuleAuditRow.merchant_id == merchant_id)
        if rule_id is not None:
            query = query.where(RuleAuditRow.rule_id == rule_id)
        if start is not None:
            query = query.where(RuleAuditRow.at >= start)
        if end is not None:
            query = query.where(RuleAuditRow.at < end)
        if cursor:
            at, last_id = decode_cursor(cursor)
            query = query.where(
                (col(RuleAuditRow.at) < at)
                | ((col(RuleAuditRow.at) == at) & (col(RuleAuditRow.id) < last_id))
            )
        query = query.order_by(col(RuleAuditRow.at).desc(), col(RuleAuditRow.id).desc()).limit(limit + 1)
        with self.db.tenant(merchant_id) as s:
            rows = list(s.exec(query).all())
        more = len(rows) > limit
        rows = rows[:limit]
        return AuditPage(
            items=[
                AuditEntry(
                    audit_id=r.id,
                    at=r.at,
                    actor=r.actor,
                    action=r.action,
                    rule_id=r.rule_id,
                    target=r.target,
                    before=r.before,
                    after=r.after,
                    reason=r.reason,
                )
                for r in rows
            ],
            next_cursor=encode_cursor(rows[-1].at, rows[-1].id) if more else None,
        )


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


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _parameter(p: Any, value: Any) -> ParameterView:
    return ParameterView(
        name=p.name,
        kind=p.kind,
        description=p.description,
        default=_plain(p.default),
        current=_plain(value),
        minimum=p.minimum,
        maximum=p.maximum,
        choices=list(p.choices),
        unit=p.unit,
    )


def _summary(r: DetectionRow) -> DetectionSummary:
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
