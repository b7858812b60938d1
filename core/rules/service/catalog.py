"""Use case "catalog": what rules there are, how each is configured for the tenant, which the
tenant's data can feed (the substrate scorecard), and which catalog version the tenant is pinned to."""

from __future__ import annotations

from core.db.tables.rules import CatalogPinRow
from core.rules.model import Mode
from core.rules.packs import packs_touching
from core.rules.service import scorecard, store, tuning
from core.rules.service.base import Chirp
from core.rules.service.views import (
    CatalogPinResult,
    PackNote,
    RuleDetail,
    RuleList,
    RuleSummary,
    Scorecard,
    entry_view,
    parameter_view,
    plain,
)


class CatalogUseCase:
    def __init__(self, chirp: Chirp) -> None:
        self._c = chirp

    def list_rules(self, merchant_id: str, family: str | None = None) -> RuleList:
        catalog = self._c.catalog
        with self._c.db.tenant(merchant_id) as s:
            config = store.load_config(s, merchant_id)
        version = config.catalog_version or catalog.latest
        now = self._c.clock.now()
        items = []
        for rule in catalog.rules_for(version):
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
                    substrates=[x.slug for x in rule.substrates],
                    active_allow_list_entries=sum(
                        1 for e in config.allow_list if e.rule_id == rule.id and e.applies_at(now)
                    ),
                )
            )
        return RuleList(catalog_version=version, items=items)

    def get_rule(self, merchant_id: str, rule_id: str) -> RuleDetail:
        rule = self._c.catalog.get(rule_id)
        with self._c.db.tenant(merchant_id) as s:
            held = tuning.current(s, merchant_id, rule)
            pin = store.catalog_pin(s, merchant_id)
            entries = store.allow_list_entries(s, merchant_id, rule_id)
            applied = set(store.applied_packs(s, merchant_id))
            now = self._c.clock.now()
            values = rule.resolve(held.params)
            return RuleDetail(
                rule_id=rule.id,
                family=rule.family.value,
                title=rule.title,
                definition=rule.definition,
                severity=rule.severity.value,
                queue=rule.queue.value,
                rule_version=rule.version,
                catalog_version=pin.catalog_version if pin else self._c.catalog.latest,
                mode=held.mode,
                config_version=held.version,
                config_source=held.source,
                requires=list(rule.requires),
                optional=list(rule.optional),
                substrates=[x.slug for x in rule.substrates],
                allow_scopes=[x.value for x in rule.allow_scopes],
                vertical_note=rule.vertical_note,
                parameters=[parameter_view(p, values[p.name]) for p in rule.parameters],
                allow_list=[entry_view(e, now) for e in entries],
                packs=[
                    PackNote(
                        pack_id=p.id,
                        allow_list=c.allow_list,
                        parameter=c.parameter,
                        value=plain(c.value),
                        effect=c.effect,
                        applied_to_tenant=p.id in applied,
                    )
                    for p, c in packs_touching(rule.id)
                ],
            )

    def substrate_scorecard(self, merchant_id: str) -> Scorecard:
        """Per rule, applicable or "not applicable: missing <field>", and when each entity was last seen."""
        with self._c.db.tenant(merchant_id) as s:
            return scorecard.load(s, merchant_id, self._c.catalog, self._c.clock.now())

    def pin_catalog_version(
        self, merchant_id: str, version: str, *, actor: str, reason: str
    ) -> CatalogPinResult:
        rules = self._c.catalog.rules_for(version)  # refuses an unknown or unimplemented version
        reason = tuning.require_reason(reason)
        now = self._c.clock.now()
        with self._c.db.tenant(merchant_id) as s:
            row = store.catalog_pin(s, merchant_id)
            before = row.catalog_version if row else None
            row = row or CatalogPinRow(
                merchant_id=merchant_id, catalog_version=version, pinned_at=now, pinned_by=actor
            )
            row.catalog_version, row.pinned_at, row.pinned_by, row.reason = version, now, actor, reason
            store.save_catalog_pin(s, row)
            store.audit(
                s,
                merchant_id,
                at=now,
                actor=actor,
                action="catalog.pin",
                target=version,
                before={"catalog_version": before},
                after={"catalog_version": version},
                reason=reason,
            )
        return CatalogPinResult(before=before, after=version, rules=len(rules))
