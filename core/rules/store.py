"""Chirp's storage adapter: every SQL statement Q runs, over a caller's tenant session.

The engine and rules never see a session; the consumer and the service call these functions inside
``Database.tenant(merchant_id)`` so RLS binds each one, and they filter on ``merchant_id`` themselves
too (the SQLite path has no RLS).
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from core.db.dialect import insert_for
from core.db.tables.customers import Customer
from core.db.tables.documents import ItemCategoryRow, StoreConfigRow
from core.db.tables.rules import (
    AllowListEntryRow,
    CatalogPinRow,
    DetectionRow,
    RuleAuditRow,
    RuleConfigRow,
    RuleEventJournalRow,
    RuleStateRow,
)
from core.domain.parsing import DetectionEvent
from core.rules.allow_lists import AllowListEntry
from core.rules.engine import RuleSettings, TenantConfig
from core.rules.facts import Facts
from core.rules.model import Mode, Scope
from core.rules.records import jsonable
from core.rules.state import RuleState

CONSUMER = "chirp"
CHUNK = 500


def new_id() -> str:
    return uuid.uuid4().hex


_ticks = itertools.count()


def ordered_id() -> str:
    """An id that sorts in creation order (nanosecond clock, then a per-process counter): audit
    entries written in the same instant by a fixed clock still list in the order they were made."""
    return f"{time.time_ns():020d}{next(_ticks) % 10_000:04d}{uuid.uuid4().hex[:8]}"


# Configuration -------------------------------------------------------------------------------------


def entry_of(row: AllowListEntryRow) -> AllowListEntry:
    return AllowListEntry(
        id=row.id,
        rule_id=row.rule_id,
        scope={Scope(k): str(v) for k, v in row.scope.items()},
        reason=row.reason,
        expires_at=row.expires_at,
        created_at=row.created_at,
        created_by=row.created_by,
        revoked_at=row.revoked_at,
        source=row.source,
        version=row.version,
    )


def load_config(session: Session, merchant_id: str) -> TenantConfig:
    rules = {
        row.rule_id: RuleSettings(mode=Mode(row.mode), params=dict(row.params), version=row.version)
        for row in session.exec(select(RuleConfigRow).where(RuleConfigRow.merchant_id == merchant_id)).all()
    }
    entries = tuple(
        entry_of(row)
        for row in session.exec(
            select(AllowListEntryRow).where(
                AllowListEntryRow.merchant_id == merchant_id, col(AllowListEntryRow.revoked_at).is_(None)
            )
        ).all()
    )
    pin = session.get(CatalogPinRow, merchant_id)
    return TenantConfig(catalog_version=pin.catalog_version if pin else None, rules=rules, allow_list=entries)


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


# Detections and the outbox -------------------------------------------------------------------------


def write_detections(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert, keeping an existing row: ids are deterministic, so a redelivery is a no-op."""
    table = DetectionRow.__table__  # type: ignore[attr-defined]
    for start in range(0, len(rows), CHUNK):
        stmt = insert_for(session)(table).on_conflict_do_nothing(index_elements=["merchant_id", "id"])
        session.execute(stmt, list(rows[start : start + CHUNK]))


def pending_alerts(session: Session, merchant_id: str, limit: int = 500) -> list[DetectionRow]:
    return list(
        session.exec(
            select(DetectionRow)
            .where(
                DetectionRow.merchant_id == merchant_id,
                DetectionRow.alert_state == "pending",
            )
            .order_by(col(DetectionRow.occurred_at))
            .limit(limit)
        ).all()
    )


def mark_published(session: Session, merchant_id: str, ids: Sequence[str], now: datetime) -> None:
    if ids:
        session.execute(
            update(DetectionRow)
            .where(
                col(DetectionRow.merchant_id) == merchant_id,
                col(DetectionRow.id).in_(list(ids)),
            )
            .values(alert_state="published", published_at=now)
        )


# Journal -------------------------------------------------------------------------------------------


def journal(session: Session, merchant_id: str, rows: Sequence[tuple[DetectionEvent, Facts]]) -> None:
    values = [
        {
            "merchant_id": merchant_id,
            "seq": event.evidence_seq,
            "kind": event.kind[:40],
            "entity_id": event.entity_id[:300],
            "source": event.source[:16],
            "occurred_at": facts.occurred_at,
            "facts": event.facts,
        }
        for event, facts in rows
    ]
    table = RuleEventJournalRow.__table__  # type: ignore[attr-defined]
    for start in range(0, len(values), CHUNK):
        stmt = insert_for(session)(table).on_conflict_do_nothing(
            index_elements=["merchant_id", "seq", "kind", "entity_id"]
        )
        session.execute(stmt, values[start : start + CHUNK])


def load_journal(session: Session, merchant_id: str, start: datetime, end: datetime) -> list[Facts]:
    rows = session.exec(
        select(RuleEventJournalRow)
        .where(
            RuleEventJournalRow.merchant_id == merchant_id,
            RuleEventJournalRow.occurred_at >= start,
            RuleEventJournalRow.occurred_at < end,
        )
        .order_by(col(RuleEventJournalRow.occurred_at), col(RuleEventJournalRow.seq))
    ).all()
    return [
        Facts.from_parts(
            merchant_id=merchant_id,
            seq=r.seq,
            kind=r.kind,
            entity_id=r.entity_id,
            source=r.source,
            occurred_at=r.occurred_at,
            facts=r.facts,
        )
        for r in rows
    ]


def journal_span(session: Session, merchant_id: str) -> tuple[datetime | None, datetime | None, int]:
    row = session.execute(
        select(
            func.min(RuleEventJournalRow.occurred_at),
            func.max(RuleEventJournalRow.occurred_at),
            func.count(),
        ).where(RuleEventJournalRow.merchant_id == merchant_id)
    ).one()
    return row[0], row[1], int(row[2])


# State ---------------------------------------------------------------------------------------------


def state_versions(session: Session, merchant_id: str) -> dict[str, int]:
    return dict(
        session.exec(
            select(RuleStateRow.slice, RuleStateRow.version).where(RuleStateRow.merchant_id == merchant_id)
        ).all()
    )


def load_slices(session: Session, merchant_id: str, names: Sequence[str]) -> dict[str, tuple[str, int]]:
    out: dict[str, tuple[str, int]] = {}
    for start in range(0, len(names), CHUNK):
        for row in session.exec(
            select(RuleStateRow).where(
                RuleStateRow.merchant_id == merchant_id,
                col(RuleStateRow.slice).in_(list(names[start : start + CHUNK])),
            )
        ):
            out[row.slice] = (row.data, row.version)
    return out


def save_state(
    session: Session, merchant_id: str, state: RuleState, versions: dict[str, int], now: datetime
) -> None:
    """Write the dirty slices, each one version up; ``versions`` is updated to match."""
    dirty = state.dirty()
    if not dirty:
        return
    table = RuleStateRow.__table__  # type: ignore[attr-defined]
    values: list[dict[str, Any]] = [
        {
            "merchant_id": merchant_id,
            "slice": name,
            "data": data,
            "version": versions.get(name, 0) + 1,
            "updated_at": now,
        }
        for name, data in dirty.items()
    ]
    stmt = insert_for(session)(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["merchant_id", "slice"],
        set_={
            "data": stmt.excluded.data,
            "version": stmt.excluded.version,
            "updated_at": stmt.excluded.updated_at,
        },
    )
    session.execute(stmt, values)
    for value in values:
        versions[value["slice"]] = value["version"]
    state.mark_clean()


def preload_reference(
    session: Session, merchant_id: str, state: RuleState, customer_ids: Iterable[str]
) -> None:
    """Store configs and categories from their tables where events have not brought a newer copy,
    and the tier of customers the batch names that the state has not met yet."""
    for config in session.exec(select(StoreConfigRow).where(StoreConfigRow.merchant_id == merchant_id)):
        held = state.get("stores", config.location_id)
        if held is None or held.get("version_key", "") < config.version_key:
            state.put("stores", config.location_id, _record(config))
    for category in session.exec(select(ItemCategoryRow).where(ItemCategoryRow.merchant_id == merchant_id)):
        held = state.get("categories", category.id)
        if held is None or held.get("version_key", "") < category.version_key:
            state.put("categories", category.id, _record(category))
    unknown = sorted({c for c in customer_ids if state.get("customers", c) is None})
    for start in range(0, len(unknown), CHUNK):
        for row in session.exec(
            select(Customer).where(
                Customer.merchant_id == merchant_id, col(Customer.id).in_(unknown[start : start + CHUNK])
            )
        ):
            state.put("customers", row.id, {"tier": row.tier, "tax_exempt": row.tax_exempt, "changes": []})


def _record(row: Any) -> dict[str, Any]:
    data: dict[str, Any] = row.model_dump(mode="json")
    data.pop("merchant_id", None)
    data.pop("evidence_seq", None)
    return data
