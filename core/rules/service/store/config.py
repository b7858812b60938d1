"""A tenant's rule configuration as stored: modes and parameters, allow-list entries, catalog pins
and vertical-pack applications."""

from __future__ import annotations

from sqlmodel import Session, col, select

from core.db.tables.rules import (
    AllowListEntryRow,
    CatalogPinRow,
    PackApplicationRow,
    RuleConfigHistoryRow,
    RuleConfigRow,
)
from core.db.tables.tenants import Merchant
from core.rules.allow_lists import AllowListEntry
from core.rules.engine import RuleSettings, TenantConfig
from core.rules.model import Mode, Scope


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
    pin = catalog_pin(session, merchant_id)
    return TenantConfig(catalog_version=pin.catalog_version if pin else None, rules=rules, allow_list=entries)


# Rule configurations ---------------------------------------------------------------------------------


def rule_config(session: Session, merchant_id: str, rule_id: str) -> RuleConfigRow | None:
    return session.get(RuleConfigRow, (merchant_id, rule_id))


def write_rule_config(session: Session, row: RuleConfigRow, history: RuleConfigHistoryRow) -> None:
    session.add(row)
    session.add(history)


# Allow-lists -------------------------------------------------------------------------------------------


def allow_list_entry(session: Session, merchant_id: str, entry_id: str) -> AllowListEntryRow | None:
    return session.get(AllowListEntryRow, (merchant_id, entry_id))


def allow_list_entries(
    session: Session, merchant_id: str, rule_id: str | None = None
) -> list[AllowListEntryRow]:
    """Every entry (revoked and expired too), oldest first."""
    query = select(AllowListEntryRow).where(AllowListEntryRow.merchant_id == merchant_id)
    if rule_id is not None:
        query = query.where(AllowListEntryRow.rule_id == rule_id)
    return list(session.exec(query.order_by(col(AllowListEntryRow.created_at))).all())


def save_allow_list_entry(session: Session, row: AllowListEntryRow) -> None:
    session.add(row)


# Catalog pins ------------------------------------------------------------------------------------------


def catalog_pin(session: Session, merchant_id: str) -> CatalogPinRow | None:
    return session.get(CatalogPinRow, merchant_id)


def save_catalog_pin(session: Session, row: CatalogPinRow) -> None:
    session.add(row)


# Vertical packs ----------------------------------------------------------------------------------------


def applied_packs(session: Session, merchant_id: str) -> list[str]:
    return list(
        session.exec(
            select(PackApplicationRow.pack_id).where(
                PackApplicationRow.merchant_id == merchant_id, PackApplicationRow.status == "applied"
            )
        ).all()
    )


def record_pack_application(session: Session, row: PackApplicationRow) -> None:
    """Store an application, superseding the pack's earlier applied one (there is one in force)."""
    for old in session.exec(
        select(PackApplicationRow).where(
            PackApplicationRow.merchant_id == row.merchant_id,
            PackApplicationRow.pack_id == row.pack_id,
            PackApplicationRow.status == "applied",
        )
    ):
        old.status = "superseded"
        session.add(old)
    session.add(row)


# Tenants -----------------------------------------------------------------------------------------------


def merchant(session: Session, merchant_id: str) -> Merchant | None:
    return session.get(Merchant, merchant_id)
