"""Rule state slices (``rule_state``), and the reference rows the windows are warmed from."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from core.db.dialect import insert_for
from core.db.tables.customers import Customer
from core.db.tables.documents import ItemCategoryRow, StoreConfigRow
from core.db.tables.rules import RuleStateRow
from core.rules.service.store.sql import CHUNK
from core.rules.state import RuleState
from core.rules.windows import CATEGORIES, CUSTOMERS, STORES

REFERENCE_TABLES: Mapping[str, Any] = {
    "store_config": StoreConfigRow,
    "item_category": ItemCategoryRow,
    "customer": Customer,
}


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


def substrate_state(session: Session, merchant_id: str, slice_name: str) -> RuleState:
    """A state holding only the one stored slice the substrate scorecard reads."""
    state = RuleState()
    row = session.get(RuleStateRow, (merchant_id, slice_name))
    if row is not None:
        state.load({slice_name: row.data})
    return state


def reference_fields(session: Session, merchant_id: str, tracked: Mapping[str, tuple[str, ...]]) -> set[str]:
    """``entity.field`` of the tracked reference fields some stored row carries."""
    present: set[str] = set()
    for entity, table in REFERENCE_TABLES.items():
        names = [n for n in tracked.get(entity, ()) if n in table.model_fields]
        if not names:
            continue
        counts = session.execute(
            select(*[func.count(getattr(table, n)) for n in names]).where(table.merchant_id == merchant_id)
        ).one()
        present |= {f"{entity}.{n}" for n, count in zip(names, counts, strict=True) if count}
    return present


def preload_reference(
    session: Session, merchant_id: str, state: RuleState, customer_ids: Iterable[str]
) -> None:
    """Store configs and categories from their tables where events have not brought a newer copy,
    and the tier of customers the batch names that the state has not met yet."""
    for config in session.exec(select(StoreConfigRow).where(StoreConfigRow.merchant_id == merchant_id)):
        held = STORES.get(state, config.location_id)
        if held is None or held.get("version_key", "") < config.version_key:
            STORES.put(state, config.location_id, _record(config))
    for category in session.exec(select(ItemCategoryRow).where(ItemCategoryRow.merchant_id == merchant_id)):
        held = CATEGORIES.get(state, category.id)
        if held is None or held.get("version_key", "") < category.version_key:
            CATEGORIES.put(state, category.id, _record(category))
    unknown = sorted({c for c in customer_ids if CUSTOMERS.get(state, c) is None})
    for start in range(0, len(unknown), CHUNK):
        for row in session.exec(
            select(Customer).where(
                Customer.merchant_id == merchant_id, col(Customer.id).in_(unknown[start : start + CHUNK])
            )
        ):
            CUSTOMERS.put(state, row.id, {"tier": row.tier, "tax_exempt": row.tax_exempt, "changes": []})


def _record(row: Any) -> dict[str, Any]:
    data: dict[str, Any] = row.model_dump(mode="json")
    data.pop("merchant_id", None)
    data.pop("evidence_seq", None)
    return data
