"""canonical evidence_seq indexes: a replay's retraction finds the rows a seq last wrote

Revision ID: c5e8a1d3f702
Revises: a7c3e5f19b42
Create Date: 2026-12-04 21:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "c5e8a1d3f702"
down_revision: str | None = "a7c3e5f19b42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every canonical table but the reference ones (core/db/base.py, evidence_tables), all in "sales".
TABLES = (
    "audit_log_entries",
    "cash_drawer_events",
    "cash_drawer_shifts",
    "disputes",
    "documents",
    "inventory_adjustments",
    "inventory_counts",
    "loyalty_events",
    "original_doc_refs",
    "payouts",
    "pricing_decisions",
    "receiver_lines",
    "receivers",
    "refund_links",
    "return_to_vendor_lines",
    "returns_to_vendor",
    "terminal_activities",
    "timecards",
    "transaction_line_items",
    "transaction_taxes",
    "transaction_tenders",
    "transactions",
    "transfer_lines",
    "transfers",
)


def upgrade() -> None:
    for table in TABLES:
        op.create_index(
            f"ix_{table}_evidence_seq", table, ["merchant_id", "evidence_seq"], unique=False, schema="sales"
        )


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_evidence_seq", table_name=table, schema="sales")
