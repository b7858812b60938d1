"""Use case "rollout": moving rules between dry-run, observation and alerting (with the readiness
check a promotion needs), vertical packs, and a tenant's deployment status."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from core.db.tables.rules import PackApplicationRow
from core.rules.errors import ChirpError
from core.rules.model import Mode, Rule
from core.rules.packs import VerticalPack, get_pack
from core.rules.phases import DeploymentStatus, assess
from core.rules.service import modes, scorecard, store, tuning
from core.rules.service.base import Chirp
from core.rules.service.detection_rows import jsonable
from core.rules.service.replays import replay
from core.rules.service.views import (
    PackApplicationResult,
    PackChangeView,
    PackPreview,
    PromotionResult,
    Readiness,
)

READINESS_WARMUP = timedelta(days=30)


class UnknownTenantError(ChirpError, LookupError):
    pass


class RolloutUseCase:
    def __init__(self, chirp: Chirp, readiness: modes.ReadinessPolicy | None = None) -> None:
        self._c = chirp
        self.readiness = readiness or modes.ReadinessPolicy()

    # Modes -----------------------------------------------------------------------------------------

    def check_readiness(self, merchant_id: str, rule_id: str) -> Readiness:
        """A dry run of the rule, as configured, over the last ``lookback_days`` of stored events."""
        rule = self._c.catalog.get(rule_id)
        with self._c.db.tenant(merchant_id) as s:
            return self._readiness(s, merchant_id, rule)

    def _readiness(self, s: Session, merchant_id: str, rule: Rule) -> Readiness:
        policy, now = self.readiness, self._c.clock.now()
        start, end = now - timedelta(days=policy.lookback_days), now + timedelta(seconds=1)
        config = store.load_config(s, merchant_id)
        result = replay(
            s, self._c.engine, merchant_id, rule, start, end, config=config, warmup=READINESS_WARMUP
        )
        outcomes = store.outcomes(s, merchant_id, rule.id, now - timedelta(days=90))
        card = next(
            r for r in scorecard.load(s, merchant_id, self._c.catalog, now).rules if r.rule_id == rule.id
        )
        return modes.assess(
            events=result.events_in_range,
            hits=result.count(rule.id),
            days=policy.lookback_days,
            outcomes=len(outcomes),
            false_positives=sum(1 for o in outcomes if o == modes.FALSE_POSITIVE),
            applicable=card.status == "applicable",
            missing=card.message,
            policy=policy,
        )

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
        """Move a rule to ``mode``. Promotion runs the readiness check and is refused (and the refusal
        logged) when it fails, unless ``force``; demotion is immediate."""
        rule = self._c.catalog.get(rule_id)
        target = Mode(mode)
        reason = tuning.require_reason(reason)
        with self._c.db.tenant(merchant_id) as s:
            held = tuning.current(s, merchant_id, rule)
            from_mode, source = held.mode, held.source  # ``held`` is the live row: read before changing it
            way = modes.direction(Mode(from_mode), target)
            if way == "same":
                return PromotionResult(
                    rule_id=rule.id,
                    from_mode=from_mode,
                    to_mode=target.value,
                    applied=False,
                    forced=False,
                    config_version=held.version,
                    readiness=None,
                )
            readiness = self._readiness(s, merchant_id, rule) if way == "promote" else None
            now = self._c.clock.now()
            if readiness is not None and not readiness.ready and not force:
                store.audit(
                    s,
                    merchant_id,
                    at=now,
                    actor=actor,
                    action="rule.promote_refused",
                    rule_id=rule.id,
                    before={"mode": from_mode},
                    after={"mode": target.value, "readiness": readiness.model_dump(mode="json")},
                    reason=reason,
                )
                return PromotionResult(
                    rule_id=rule.id,
                    from_mode=from_mode,
                    to_mode=target.value,
                    applied=False,
                    forced=False,
                    config_version=held.version,
                    readiness=readiness,
                )
            done = tuning.change(
                s,
                merchant_id,
                rule,
                now=now,
                actor=actor,
                reason=reason,
                kind=way,
                mode=target,
                source=source if source != "default" else "operator",
                action=f"rule.{way}" + ("_forced" if readiness and not readiness.ready else ""),
            )
        return PromotionResult(
            rule_id=rule.id,
            from_mode=from_mode,
            to_mode=target.value,
            applied=True,
            forced=bool(readiness and not readiness.ready),
            config_version=done.version,
            readiness=readiness,
        )

    def demote_rule(
        self, merchant_id: str, rule_id: str, *, actor: str, reason: str, mode: str | Mode = Mode.DRY_RUN
    ) -> PromotionResult:
        """Demote one rule alone; other rules are untouched."""
        rule = self._c.catalog.get(rule_id)
        with self._c.db.tenant(merchant_id) as s:
            held = tuning.current(s, merchant_id, rule)
        if modes.direction(Mode(held.mode), Mode(mode)) == "promote":
            raise tuning.ConfigError(f"{rule_id} is in {held.mode}; {Mode(mode).value} would be a promotion")
        return self.promote_rule(merchant_id, rule_id, mode, actor=actor, reason=reason)

    # Packs -----------------------------------------------------------------------------------------

    def preview_vertical_pack(self, merchant_id: str, pack_id: str) -> PackPreview:
        """Exactly which rules the pack changes, from what to what, and what each change does."""
        pack = get_pack(pack_id)
        with self._c.db.tenant(merchant_id) as s:
            changes = self._pack_changes(s, merchant_id, pack)
            applied = pack.id in store.applied_packs(s, merchant_id)
        return PackPreview(
            pack_id=pack.id,
            pack_version=pack.version,
            title=pack.title,
            description=pack.description,
            changes=changes,
            notes=list(pack.notes),
            applied=applied,
        )

    def apply_vertical_pack(
        self, merchant_id: str, pack_id: str, *, actor: str, reason: str, reapply: bool = False
    ) -> PackApplicationResult:
        """Apply the pack's parameter values, snapshotting the configurations they replace. Refused when
        already applied (re-applying would erase per-tenant overrides) unless ``reapply``."""
        pack = get_pack(pack_id)
        reason = tuning.require_reason(reason)
        now = self._c.clock.now()
        with self._c.db.tenant(merchant_id) as s:
            if pack.id in store.applied_packs(s, merchant_id) and not reapply:
                raise tuning.ConfigError(
                    f"pack {pack.id} is already applied; pass reapply=True to apply it again "
                    "(this resets per-tenant overrides of its parameters)"
                )
            changes = self._pack_changes(s, merchant_id, pack)
            snapshot = {}
            for rule_id in pack.rules():
                rule = self._c.catalog.get(rule_id)
                held = tuning.current(s, merchant_id, rule)
                snapshot[rule_id] = {
                    "mode": held.mode,
                    "params": dict(held.params),
                    "version": held.version,
                    "source": held.source,
                }
                values = {c.parameter: c.value for c in pack.changes if c.rule_id == rule_id}
                tuning.change(
                    s,
                    merchant_id,
                    rule,
                    now=now,
                    actor=actor,
                    reason=f"{pack.source()}: {reason}",
                    kind="pack",
                    params=values,
                    source=pack.source(),
                    action="rule.pack",
                )
            row = PackApplicationRow(
                merchant_id=merchant_id,
                id=store.new_id(),
                pack_id=pack.id,
                pack_version=pack.version,
                applied_at=now,
                applied_by=actor,
                reason=reason,
                changes=[c.model_dump(mode="json") for c in changes],
                snapshot=jsonable(snapshot),
            )
            store.record_pack_application(s, row)
            store.audit(
                s,
                merchant_id,
                at=now,
                actor=actor,
                action="pack.apply",
                target=f"{pack.id}@{pack.version}",
                before=snapshot,
                after={"changes": row.changes},
                reason=reason,
            )
        return PackApplicationResult(
            application_id=row.id,
            pack_id=pack.id,
            pack_version=pack.version,
            applied_at=now,
            changes=changes,
            snapshot=row.snapshot,
        )

    def _pack_changes(self, s: Session, merchant_id: str, pack: VerticalPack) -> list[PackChangeView]:
        out = []
        for change in pack.changes:
            rule = self._c.catalog.get(change.rule_id)
            current = rule.resolve(tuning.current(s, merchant_id, rule).params)[change.parameter]
            proposed = rule.parameter(change.parameter).coerce(change.value)
            out.append(
                PackChangeView(
                    allow_list=change.allow_list,
                    allow_list_title=change.title,
                    rule_id=rule.id,
                    parameter=change.parameter,
                    current=jsonable(current),
                    proposed=jsonable(proposed),
                    changes_value=current != proposed,
                    effect=change.effect,
                )
            )
        return out

    # Deployment ------------------------------------------------------------------------------------

    def deployment_status(self, merchant_id: str) -> DeploymentStatus:
        """The phase the tenant's rollout calendar is in beside the modes its rules are in."""
        now = self._c.clock.now()
        with self._c.db.tenant(merchant_id) as s:
            merchant = store.merchant(s, merchant_id)
            if merchant is None:
                raise UnknownTenantError(
                    f"no merchant {merchant_id!r}: onboard it first (canary merchant add)"
                )
            pinned = store.catalog_pin(s, merchant_id) is not None
            card = scorecard.load(s, merchant_id, self._c.catalog, now)
            config = store.load_config(s, merchant_id)
        version = config.catalog_version or self._c.catalog.latest
        rule_modes = {
            rule.id: (config.rules[rule.id].mode if rule.id in config.rules else Mode.DRY_RUN)
            for rule in self._c.catalog.rules_for(version)
        }
        return assess(
            merchant_id,
            cutover_at=merchant.created_at,
            now=now,
            rule_modes=rule_modes,
            applicable=frozenset(r.rule_id for r in card.rules if r.status == "applicable"),
            catalog_pinned=pinned,
        )
