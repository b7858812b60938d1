"""The rules audit log: every configuration change with actor, before/after and reason."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from core.db.tables.rules import AllowListEntryRow, RuleAuditRow
from core.rules.service.detection_rows import jsonable
from core.rules.service.store.sql import ordered_id


def audit(
    session: Session,
    merchant_id: str,
    *,
    at: datetime,
    actor: str,
    action: str,
    rule_id: str | None = None,
    target: str | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    reason: str = "",
) -> RuleAuditRow:
    row = RuleAuditRow(
        merchant_id=merchant_id,
        id=ordered_id(),
        at=at,
        actor=actor,
        action=action,
        rule_id=rule_id,
        target=target,
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
        reason=reason,
    )
    session.add(row)
    return row


def audit_page(
    session: Session,
    merchant_id: str,
    *,
    rule_id: str | None,
    start: datetime | None,
    end: datetime | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[RuleAuditRow]:
    """Newest first, up to ``limit`` rows strictly older than the ``after`` keyset position."""
    query = select(RuleAuditRow).where(RuleAuditRow.merchant_id == merchant_id)
    if rule_id is not None:
        query = query.where(RuleAuditRow.rule_id == rule_id)
    if start is not None:
        query = query.where(RuleAuditRow.at >= start)
    if end is not None:
        query = query.where(RuleAuditRow.at < end)
    if after is not None:
        at, last_id = after
        query = query.where(
            (col(RuleAuditRow.at) < at) | ((col(RuleAuditRow.at) == at) & (col(RuleAuditRow.id) < last_id))
        )
    query = query.order_by(col(RuleAuditRow.at).desc(), col(RuleAuditRow.id).desc()).limit(limit)
    return list(session.exec(query).all())


def log_expired_entries(session: Session, merchant_id: str, now: datetime) -> list[str]:
    """Entries whose expiry has passed are logged once (``allow_list.expired``); they stopped applying
    at their expiry whether or not this has run yet."""
    due = session.exec(
        select(AllowListEntryRow).where(
            AllowListEntryRow.merchant_id == merchant_id,
            col(AllowListEntryRow.revoked_at).is_(None),
            col(AllowListEntryRow.expiry_logged_at).is_(None),
            AllowListEntryRow.expires_at <= now,
        )
    ).all()
    for row in due:
        row.expiry_logged_at = now
        session.add(row)
        audit(
            session,
            merchant_id,
            at=now,
            actor="system",
            action="allow_list.expired",
            rule_id=row.rule_id,
            target=row.id,
            before={"scope": row.scope, "expires_at": row.expires_at},
            reason=row.reason,
        )
    return [row.id for row in due]
