"""The writing half of the Chirp service: tuning, allow-lists, promotions, packs and pins.

Every write is one tenant transaction that changes the configuration and appends to the audit log
together (actor, before/after, reason), so there is no change without its record.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from core.clock import Clock
from core.db.tables.rules import AllowListEntryRow, CatalogPinRow, DetectionRow, PackApplicationRow
from core.db.uow import Database
from core.rules import allow_lists, modes, store, tuning
from core.rules.backtest import backtest
from core.rules.catalog import Catalog
from core.rules.engine import Engine
from core.rules.errors import InvalidRequestError, NotFoundError
from core.rules.model import Mode, Rule
from core.rules.packs import VerticalPack, get_pack
from core.rules.records import jsonable
from core.rules.results import (
    AllowListEntryView,
    CatalogPinResult,
    PackApplicationResult,
    PackChangeView,
    PackPreview,
    PromotionResult,
    Readiness,
    Scorecard,
    TuneResult,
)


class AdminMixin:
    db: Database
    clock: Clock
    catalog: Catalog
    engine: Engine
    readiness: modes.ReadinessPolicy
    max_allow_days: int

    def _scorecard(self, s: Session, merchant_id: str) -> Scorecard:
        raise NotImplementedError  # ChirpService (service.py) provides it

    # Tuning ----------------------------------------------------------------------------------------

    def tune_rule_threshold(
        self, merchant_id: str, rule_id: str, parameter: str, value: Any, *, actor: str, reason: str
    ) -> TuneResult:
        """Set one parameter; checked against its bounds, versioned and audit-logged. A parameter a
        vertical pack set becomes a per-tenant override (logged as ``pack_override``)."""
        rule = self.catalog.get(rule_id)
        rule.parameter(parameter).coerce(value)
        reason = tuning.require_reason(reason)
        with self.db.tenant(merchant_id) as s:
            held = tuning.current(s, merchant_id, rule)
            kind = "pack_override" if held.source.startswith("pack:") else "tune"
            done = tuning.change(
                s,
                merchant_id,
                rule,
                now=self.clock.now(),
                actor=actor,
                reason=reason,
                kind=kind,
                params={parameter: value},
                source="operator",
                action="rule.tune",
            )
        return TuneResult(
            rule_id=rule.id,
            parameter=parameter,
            before=done.before["params"][parameter],
            after=done.after["params"][parameter],
            config_version=done.version,
            source="operator",
        )

    # Allow-lists -----------------------------------------------------------------------------------

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
        """Refused without an expiry, beyond the maximum, without a reason, or with a scope the rule
        does not accept; the error says which."""
        from core.rules.service import entry_view

        rule = self.catalog.get(rule_id)
        now = self.clock.now()
        parsed = allow_lists.validate_new(rule, scope, reason, expires_at, now, self.max_allow_days)
        assert expires_at is not None
        with self.db.tenant(merchant_id) as s:
            row = AllowListEntryRow(
                merchant_id=merchant_id,
                id=store.new_id(),
                rule_id=rule.id,
                scope={k.value: v for k, v in parsed.items()},
                reason=reason.strip(),
                created_at=now,
                created_by=actor,
                expires_at=expires_at,
            )
            s.add(row)
            view = entry_view(row, now)
            store.audit(
                s,
                merchant_id,
                at=now,
                actor=actor,
                action="allow_list.add",
                rule_id=rule.id,
                target=row.id,
                after=view.model_dump(mode="json"),
                reason=row.reason,
            )
        return view

    def revoke_allow_list_entry(
        self, merchant_id: str, entry_id: str, *, actor: str, reason: str
    ) -> AllowListEntryView:
        from core.rules.service import entry_view

        reason = tuning.require_reason(reason)
        now = self.clock.now()
        with self.db.tenant(merchant_id) as s:
            row = s.get(AllowListEntryRow, (merchant_id, entry_id))
            if row is None:
                raise NotFoundError(f"no allow-list entry {entry_id!r}")
            if row.revoked_at is not None:
                raise allow_lists.AllowListError(
                    f"entry {entry_id} was already revoked on {row.revoked_at.isoformat()}"
                )
            before = entry_view(row, now).model_dump(mode="json")
            row.revoked_at, row.revoked_by, row.revoke_reason, row.version = (
                now,
                actor,
                reason,
                row.version + 1,
            )
            s.add(row)
            view = entry_view(row, now)
            store.audit(
                s,
                merchant_id,
                at=now,
                actor=actor,
                action="allow_list.revoke",
                rule_id=row.rule_id,
                target=row.id,
                before=before,
                after=view.model_dump(mode="json"),
                reason=reason,
            )
        return view

    def list_allow_list_entries(
        self, merchant_id: str, rule_id: str | None = None
    ) -> list[AllowListEntryView]:
        from core.rules.service import entry_view

        now = self.clock.now()
        with self.db.tenant(merchant_id) as s:
            query = select(AllowListEntryRow).where(AllowListEntryRow.merchant_id == merchant_id)
            if rule_id is not None:
                query = query.where(AllowListEntryRow.rule_id == rule_id)
            return [
                entry_view(r, now) for r in s.exec(query.order_by(col(AllowListEntryRow.created_at))).all()
            ]

    # Modes -----------------------------------------------------------------------------------------

    def check_readiness(self, merchant_id: str, rule_id: str) -> Readiness:
        """A dry run of the rule, as configured, over the last ``lookback_days`` of stored events."""
        rule = self.catalog.get(rule_id)
        with self.db.tenant(merchant_id) as s:
            return self._readiness(s, merchant_id, rule)

    def _readiness(self, s: Session, merchant_id: str, rule: Rule) -> Readiness:
        policy, now = self.readiness, self.clock.now()
        start = now - timedelta(days=policy.lookback_days)
        config = store.load_config(s, merchant_id)
        events = store.load_journal(s, merchant_id, start - timedelta(days=30), now + timedelta(seconds=1))
        result = backtest(
            events, self.engine, rule_ids=[rule.id], start=start, end=now + timedelta(seconds=1), base=config
        )
        rows = s.exec(
            select(DetectionRow.outcome).where(
                DetectionRow.merchant_id == merchant_id,
                DetectionRow.rule_id == rule.id,
                col(DetectionRow.outcome).is_not(None),
                DetectionRow.occurred_at >= now - timedelta(days=90),
            )
        ).all()
        card = next(r for r in self._scorecard(s, merchant_id).rules if r.rule_id == rule.id)
        return modes.assess(
            events=result.events_in_range,
            hits=result.count(rule.id),
            days=policy.lookback_days,
            outcomes=len(rows),
            false_positives=sum(1 for o in rows if o == modes.FALSE_POSITIVE),
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
        rule = self.catalog.get(rule_id)
        target = Mode(mode)
        reason = tuning.require_reason(reason)
        with self.db.tenant(merchant_id) as s:
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
            now = self.clock.now()
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
        """Demote one rule alone (Q.7.6); other rules are untouched."""
        rule = self.catalog.get(rule_id)
        with self.db.tenant(merchant_id) as s:
            held = tuning.current(s, merchant_id, rule)
        if modes.direction(Mode(held.mode), Mode(mode)) == "promote":
            raise tuning.ConfigError(f"{rule_id} is in {held.mode}; {Mode(mode).value} would be a promotion")
        return self.promote_rule(merchant_id, rule_id, mode, actor=actor, reason=reason)

    # Packs -----------------------------------------------------------------------------------------

    def preview_vertical_pack(self, merchant_id: str, pack_id: str) -> PackPreview:
        """Exactly which rules the pack changes, from what to what, and what each change does."""
        pack = get_pack(pack_id)
        with self.db.tenant(merchant_id) as s:
            changes = self._pack_changes(s, merchant_id, pack)
            applied = pack.id in self._applied_packs(s, merchant_id)
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
        now = self.clock.now()
        with self.db.tenant(merchant_id) as s:
            if pack.id in self._applied_packs(s, merchant_id) and not reapply:
                raise tuning.ConfigError(
                    f"pack {pack.id} is already applied; pass reapply=True to apply it again "
                    "(this resets per-tenant overrides of its parameters)"
                )
            changes = self._pack_changes(s, merchant_id, pack)
            snapshot = {}
            for rule_id in pack.rules():
                rule = self.catalog.get(rule_id)
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
            for old in s.exec(
                select(PackApplicationRow).where(
                    PackApplicationRow.merchant_id == merchant_id,
                    PackApplicationRow.pack_id == pack.id,
                    PackApplicationRow.status == "applied",
                )
            ):
                old.status = "superseded"
                s.add(old)
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
            s.add(row)
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
            rule = self.catalog.get(change.rule_id)
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

    def _applied_packs(self, s: Session, merchant_id: str) -> list[str]:
        return list(
            s.exec(
                select(PackApplicationRow.pack_id).where(
                    PackApplicationRow.merchant_id == merchant_id, PackApplicationRow.status == "applied"
                )
            ).all()
        )

    # Catalog pins and outcomes -------------------------------------------------------------------------

    def pin_catalog_version(
        self, merchant_id: str, version: str, *, actor: str, reason: str
    ) -> CatalogPinResult:
        rules = self.catalog.rules_for(version)  # refuses an unknown or unimplemented version
        reason = tuning.require_reason(reason)
        now = self.clock.now()
        with self.db.tenant(merchant_id) as s:
            row = s.get(CatalogPinRow, merchant_id)
            before = row.catalog_version if row else None
            row = row or CatalogPinRow(
                merchant_id=merchant_id, catalog_version=version, pinned_at=now, pinned_by=actor
            )
            row.catalog_version, row.pinned_at, row.pinned_by, row.reason = version, now, actor, reason
            s.add(row)
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

    def record_outcome(
        self, merchant_id: str, detection_id: str, outcome: str, *, actor: str, reason: str = ""
    ) -> None:
        """Fox's case outcome on a detection: feeds the false-positive rate of the readiness check."""
        if outcome not in modes.OUTCOMES:
            raise InvalidRequestError(f"outcome must be one of {', '.join(modes.OUTCOMES)}")
        now = self.clock.now()
        with self.db.tenant(merchant_id) as s:
            row = s.get(DetectionRow, (merchant_id, detection_id))
            if row is None:
                raise NotFoundError(f"no detection {detection_id!r}")
            before = row.outcome
            row.outcome, row.outcome_at = outcome, now
            s.add(row)
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
