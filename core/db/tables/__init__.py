"""Importing this package registers every table on ``SQLModel.metadata`` (migrations, create_all and
the RLS test all need the complete set). A new table module is added to this list."""

from core.db.base import index_evidence_seq
from core.db.tables import (
    api_tokens,
    bubble,
    cases,
    customers,
    documents,
    ledger,
    rules,
    sales,
    square_extras,
    tenants,
)

index_evidence_seq()  # every canonical table's rows by the seq that last wrote them (retractions)

__all__ = [
    "api_tokens",
    "bubble",
    "cases",
    "customers",
    "documents",
    "ledger",
    "rules",
    "sales",
    "square_extras",
    "tenants",
]
