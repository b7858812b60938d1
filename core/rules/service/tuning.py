"""Configuration changes: the one way a rule's mode or parameters change for a tenant.

Every change writes a new version of the rule's configuration, a history row and an audit entry with
the actor, the before and after, and the reason, in the caller's transaction. Detections record the
configuration version and parameter values in force, so a change never rewrites what was found
before it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from core.db.tables.rules import RuleConfigHistoryRow, RuleConfigRow
from core.rules.errors import ChirpError
from core.rules.model import Mode, Rule
from core.rules.service import store

MIN_REASON_CHARS = 8


class ConfigError(ChirpError, ValueError):
    """A change that cannot be made; the message says why."""


@dataclass(frozen=True)
class ConfigChange:
    before: dict[str, Any]
    after: dict[str, Any]
    version: int


def require_reason(reason: str) -> str:
    if len(reason.strip()) < MIN_REASON_CHARS:
        raise ConfigError(
            f"a reason of at least {MIN_REASON_CHARS} characters is required (it goes in the audit log)"
        )
    return reason.strip()


def current(session: Session, merchant_id: str, rule: Rule) -> RuleConfigRow:
    """The stored configuration, or the catalog default (dry-run, no overrides, version 0)."""
    row = store.rule_config(session, merchant_id, rule.id)
    if row is not None:
        return row
    return RuleConfigRow(
        merchant_id=merchant_id,
        rule_id=rule.id,
        mode=Mode.DRY_RUN.value,
        params={},
        version=0,
        source="default",
        updated_by="system",
    )


def change(
    session: Session,
    merchant_id: str,
    rule: Rule,
    *,
    now: datetime,
    actor: str,
    reason: str,
    kind: str,
    mode: Mode | None = None,
    params: Mapping[str, Any] | None = None,
    source: str = "operator",
    action: str | None = None,
) -> ConfigChange:
    """Write ``mode`` and/or parameter overrides (merged over the current ones, checked against bounds)."""
    held = current(session, merchant_id, rule)
    before = {
        "mode": held.mode,
        "params": rule.resolve(held.params),
        "version": held.version,
        "source": held.source,
    }
    overrides = {**held.params, **(params or {})}
    resolved = rule.resolve(overrides)  # raises ParameterError naming the bound
    overrides = {
        k: list(v) if isinstance(v, tuple) else v
        for k, v in overrides.items()
        if resolved[k] != rule.parameter(k).default
    }
    version = held.version + 1
    new_mode = (mode or Mode(held.mode)).value
    row = store.rule_config(session, merchant_id, rule.id) or RuleConfigRow(
        merchant_id=merchant_id, rule_id=rule.id, mode=new_mode, updated_by=actor
    )
    row.mode, row.params, row.version, row.source = new_mode, overrides, version, source
    row.updated_at, row.updated_by = now, actor
    store.write_rule_config(
        session,
        row,
        RuleConfigHistoryRow(
            merchant_id=merchant_id,
            rule_id=rule.id,
            version=version,
            mode=new_mode,
            params=overrides,
            change=kind,
            source=source,
            reason=reason,
            changed_at=now,
            changed_by=actor,
        ),
    )
    after = {"mode": new_mode, "params": rule.resolve(overrides), "version": version, "source": source}
    store.audit(
        session,
        merchant_id,
        at=now,
        actor=actor,
        action=action or f"rule.{kind}",
        rule_id=rule.id,
        before=before,
        after=after,
        reason=reason,
    )
    return ConfigChange(before, after, version)
