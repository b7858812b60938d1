"""Importing this package registers every table on ``SQLModel.metadata`` (migrations, create_all and
the RLS test all need the complete set). A new table module is added to this list."""

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
