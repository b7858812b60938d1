"""Table conventions shared by every module that stores something.

A *tenant table* has ``merchant_id`` as the first primary-key column (Citus-compatible distribution
key) and is covered by row-level security in Postgres; ``tenant_tables()`` finds them by that column,
and the migrations and the RLS test both use it, so a new tenant table cannot be forgotten.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Table
from sqlmodel import Field, SQLModel

APP, SALES, METRICS = "app", "sales", "metrics"


def utcnow() -> datetime:
    return datetime.now(UTC)


class TenantKey(SQLModel):
    """Mixin: the tenant column. Listed *last* among a table's bases: pydantic collects fields in
    reverse MRO, so ``merchant_id`` then leads every composite primary key."""

    merchant_id: str = Field(primary_key=True, max_length=64)


class TenantRow(TenantKey):
    """Mixin for canonical tables: the tenant plus the evidence ``seq`` that last wrote the row."""

    evidence_seq: int | None = None


def tenant_tables() -> list[Table]:
    """Every mapped table with a ``merchant_id`` column (the merchants table itself uses ``id``)."""
    return [t for t in SQLModel.metadata.sorted_tables if "merchant_id" in t.c or t.name == "merchants"]


def tenant_column(table: Table) -> str:
    return "id" if table.name == "merchants" else "merchant_id"
