"""Use case "configuration": a rule's parameters and allow-list entries for one tenant, and the
audit log every change writes to.

Every write is one tenant transaction that changes the configuration and appends to the audit log
together (actor, before/after, reason), so there is no change without its record.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from core.db.tables.rules import AllowListEntryRow
from core.paging import MAX_PAGE, as_datetime, decode_cursor, encode_cursor
from core.rules import allow_lists
from core.rules.errors import NotFoundError
from core.rules.service import store, tuning
from core.rules.service.base import Chirp
from core.rules.service.views import AllowListEntryView, AuditEntry, AuditPage, TuneResult, entry_view


class ConfigurationUseCase:
    def __init__(self, chirp: Chirp, *, max_allow_days: int = allow_lists.MAX_EXPIRY_DAYS) -> None:
        self._c = chirp
        self.max_allow_days = max_allow_days

    def tune_rule_threshold(
        self, merchant_id: str, rule_id: str, parameter: str, value: Any, *, actor: str, reason: str
    ) -> TuneResult:
        """Set one parameter; checked against its bounds, versioned and audit-logged. A parameter a
        vertical pack set becomes a per-tenant override (logged as ``pack_override``)."""
        rule = self._c.catalog.get(rule_id)
        rule.parameter(parameter).coerce(value)
        reason = tuning.require_reason(reason)
        with self._c.db.tenant(merchant_id) as s:
            held = tuning.current(s, merchant_id, rule)
            kind = "pack_override" if held.source.startswith("pack:") else "tune"
            done = tuning.change(
                s,
                merchant_id,
                rule,
                now=self._c.clock.now(),
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
        rule = self._c.catalog.get(rule_id)
        now = self._c.clock.now()
        parsed = allow_lists.validate_new(rule, scope, reason, expires_at, now, self.max_allow_days)
        assert expires_at is not None  # validate_new refuses an entry without one
        with self._c.db.tenant(merchant_id) as s:
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
            store.save_allow_list_entry(s, row)
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
        reason = tuning.require_reason(reason)
        now = self._c.clock.now()
        with self._c.db.tenant(merchant_id) as s:
            row = store.allow_list_entry(s, merchant_id, entry_id)
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
            store.save_allow_list_entry(s, row)
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
        now = self._c.clock.now()
        with self._c.db.tenant(merchant_id) as s:
            return [entry_view(r, now) for r in store.allow_list_entries(s, merchant_id, rule_id)]

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
        limit = max(1, min(limit, MAX_PAGE))
        position = decode_cursor("audit_log", cursor, 2)
        after = (as_datetime(position[0]), str(position[1])) if position else None
        with self._c.db.tenant(merchant_id) as s:
            rows = store.audit_page(
                s, merchant_id, rule_id=rule_id, start=start, end=end, after=after, limit=limit + 1
            )
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
            next_cursor=encode_cursor("audit_log", [rows[-1].at, rows[-1].id]) if more else None,
        )
