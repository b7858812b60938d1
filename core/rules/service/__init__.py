"""The Chirp shell: everything around the pure rules kernel (``core/rules``) that touches the world.

- ``store/``: every SQL statement Q runs, one module per kind of row.
- ``consumer.py``: ``ChirpStage``, the ``chirp`` consumer group that evaluates sealed events.
- ``catalog.py``, ``detections.py``, ``configuration.py``, ``rollout.py``: one class per use case of
  the canary-chirp tools; ``views.py`` holds the typed results they all return.
- ``tuning.py`` (the one way a rule's configuration changes), ``modes.py`` (readiness policy),
  ``scorecard.py`` (the substrate scorecard), ``detection_rows.py`` (an evaluation as a detection row).

``ChirpService`` is the composition the container holds: the four use cases over one database, clock
and catalog. Its methods only forward, so a server or route can take the one use case it needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from core.clock import Clock
from core.db.uow import Database
from core.rules import allow_lists
from core.rules.catalog import Catalog, default_catalog
from core.rules.model import Mode
from core.rules.phases import DeploymentStatus
from core.rules.service import modes
from core.rules.service.base import Chirp
from core.rules.service.catalog import CatalogUseCase
from core.rules.service.configuration import ConfigurationUseCase
from core.rules.service.detections import DetectionsUseCase
from core.rules.service.rollout import RolloutUseCase
from core.rules.service.views import (
    AllowListEntryView,
    AuditPage,
    CatalogPinResult,
    DetectionDetail,
    DetectionPage,
    DryRunResult,
    FamilyCounts,
    PackApplicationResult,
    PackPreview,
    PromotionResult,
    Readiness,
    RuleDetail,
    RuleList,
    Scorecard,
    TrendReport,
    TuneResult,
)


class ChirpService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        catalog: Catalog | None = None,
        *,
        readiness: modes.ReadinessPolicy | None = None,
        max_allow_days: int = allow_lists.MAX_EXPIRY_DAYS,
    ) -> None:
        shared = Chirp.of(db, clock, catalog or default_catalog())
        self.db, self.clock, self.catalog, self.engine = (
            shared.db,
            shared.clock,
            shared.catalog,
            shared.engine,
        )
        self.rule_catalog = CatalogUseCase(shared)
        self.detections = DetectionsUseCase(shared)
        self.configuration = ConfigurationUseCase(shared, max_allow_days=max_allow_days)
        self.rollout = RolloutUseCase(shared, readiness)

    # catalog
    def list_rules(self, merchant_id: str, family: str | None = None) -> RuleList:
        return self.rule_catalog.list_rules(merchant_id, family)

    def get_rule(self, merchant_id: str, rule_id: str) -> RuleDetail:
        return self.rule_catalog.get_rule(merchant_id, rule_id)

    def substrate_scorecard(self, merchant_id: str) -> Scorecard:
        return self.rule_catalog.substrate_scorecard(merchant_id)

    def pin_catalog_version(
        self, merchant_id: str, version: str, *, actor: str, reason: str
    ) -> CatalogPinResult:
        return self.rule_catalog.pin_catalog_version(merchant_id, version, actor=actor, reason=reason)

    # detections
    def query_detections(self, merchant_id: str, **filters: Any) -> DetectionPage:
        return self.detections.query_detections(merchant_id, **filters)

    def get_detection_detail(
        self, merchant_id: str, detection_id: str, *, stores: frozenset[str] | None = None
    ) -> DetectionDetail:
        return self.detections.get_detection_detail(merchant_id, detection_id, stores=stores)

    def detection_trends(self, merchant_id: str, **options: Any) -> TrendReport:
        return self.detections.detection_trends(merchant_id, **options)

    def family_counts(
        self, merchant_id: str, start: datetime, end: datetime, *, stores: frozenset[str] | None = None
    ) -> FamilyCounts:
        return self.detections.family_counts(merchant_id, start, end, stores=stores)

    def dashboard(self, merchant_id: str, **options: Any) -> tuple[TrendReport, list[FamilyCounts]]:
        return self.detections.dashboard(merchant_id, **options)

    def dry_run_rule(
        self,
        merchant_id: str,
        rule_id: str,
        start: datetime,
        end: datetime,
        params: Mapping[str, Any] | None = None,
        **options: int,
    ) -> DryRunResult:
        return self.detections.dry_run_rule(merchant_id, rule_id, start, end, params, **options)

    def record_outcome(
        self, merchant_id: str, detection_id: str, outcome: str, *, actor: str, reason: str = ""
    ) -> None:
        self.detections.record_outcome(merchant_id, detection_id, outcome, actor=actor, reason=reason)

    # configuration
    def tune_rule_threshold(
        self, merchant_id: str, rule_id: str, parameter: str, value: Any, *, actor: str, reason: str
    ) -> TuneResult:
        return self.configuration.tune_rule_threshold(
            merchant_id, rule_id, parameter, value, actor=actor, reason=reason
        )

    def add_allow_list_entry(
        self,
        merchant_id: str,
        rule_id: str,
        scope: Mapping[str, str],
        *,
        reason: str,
        expires_at: datetime | None,
        actor: str,
    ) -> AllowListEntryView:
        return self.configuration.add_allow_list_entry(
            merchant_id, rule_id, scope, reason=reason, expires_at=expires_at, actor=actor
        )

    def revoke_allow_list_entry(
        self, merchant_id: str, entry_id: str, *, actor: str, reason: str
    ) -> AllowListEntryView:
        return self.configuration.revoke_allow_list_entry(merchant_id, entry_id, actor=actor, reason=reason)

    def list_allow_list_entries(
        self, merchant_id: str, rule_id: str | None = None
    ) -> list[AllowListEntryView]:
        return self.configuration.list_allow_list_entries(merchant_id, rule_id)

    def audit_log(self, merchant_id: str, **filters: Any) -> AuditPage:
        return self.configuration.audit_log(merchant_id, **filters)

    # rollout
    def check_readiness(self, merchant_id: str, rule_id: str) -> Readiness:
        return self.rollout.check_readiness(merchant_id, rule_id)

    def promote_rule(
        self,
        merchant_id: str,
        rule_id: str,
        mode: str | Mode,
        *,
        actor: str,
        reason: str,
        force: bool = False,
    ) -> PromotionResult:
        return self.rollout.promote_rule(merchant_id, rule_id, mode, actor=actor, reason=reason, force=force)

    def demote_rule(
        self, merchant_id: str, rule_id: str, *, actor: str, reason: str, mode: str | Mode = Mode.DRY_RUN
    ) -> PromotionResult:
        return self.rollout.demote_rule(merchant_id, rule_id, actor=actor, reason=reason, mode=mode)

    def preview_vertical_pack(self, merchant_id: str, pack_id: str) -> PackPreview:
        return self.rollout.preview_vertical_pack(merchant_id, pack_id)

    def apply_vertical_pack(
        self, merchant_id: str, pack_id: str, *, actor: str, reason: str, reapply: bool = False
    ) -> PackApplicationResult:
        return self.rollout.apply_vertical_pack(
            merchant_id, pack_id, actor=actor, reason=reason, reapply=reapply
        )

    def deployment_status(self, merchant_id: str) -> DeploymentStatus:
        return self.rollout.deployment_status(merchant_id)
