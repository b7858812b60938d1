"""Table conventions shared by every module that stores something.

A *tenant table* has ``merchant_id`` as the first primary-key column (Citus-compatible distribution
key) and is covered by row-level security in Postgres; ``tenant_tables()`` finds them by that column,
and the migrations and the RLS test both use it, so a new tenant table cannot be forgotten.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Index, Table
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


# Canonical reference rows: many events name them, and the seq that last wrote one is not its only
# source, so a replay's retraction keeps them (core/pipeline/retraction.py).
REFERENCE_TABLES = frozenset(
    {
        "customers",
        "contact_fingerprints",
        "employees",
        "devices",
        "locations",
        "store_configs",
        "item_categories",
        "loyalty_accounts",
    }
)


def evidence_tables() -> list[Table]:
    """The canonical tables a retraction deletes from, by the seq that last wrote a row: every
    ``TenantRow`` table but the reference ones. Each has an index on (merchant_id, evidence_seq)
    (``index_evidence_seq``), so the look-up does not scan the table."""
    found: list[Table] = []
    stack: list[type[SQLModel]] = list(TenantRow.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        table = getattr(cls, "__table__", None)
        if isinstance(table, Table) and table.name not in REFERENCE_TABLES and table not in found:
            found.append(table)
    return sorted(found, key=lambda t: t.name)


def index_evidence_seq() -> None:
    """Declare ``ix_<table>_evidence_seq`` on every table of ``evidence_tables`` (once)."""
    for table in evidence_tables():
        name = f"ix_{table.name}_evidence_seq"
        if not any(index.name == name for index in table.indexes):
            Index(name, table.c.merchant_id, table.c.evidence_seq)


def tenant_tables() -> list[Table]:
    """Every mapped table with a ``merchant_id`` column (the merchants table itself uses ``id``)."""
    return [t for t in SQLModel.metadata.sorted_tables if "merchant_id" in t.c or t.name == "merchants"]


def tenant_column(table: Table) -> str:
    return "id" if table.name == "merchants" else "merchant_id"
