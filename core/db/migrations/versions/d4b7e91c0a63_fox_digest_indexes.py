"""fox digest indexes

Revision ID: d4b7e91c0a63
Revises: c81e5b0f3a27
Create Date: 2026-12-04 03:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "d4b7e91c0a63"
down_revision: str | None = "c81e5b0f3a27"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_fox_cases_closed", "fox_cases", ["merchant_id", "closed_at"], unique=False, schema="app"
    )
    op.create_index(
        "ix_fox_cases_store",
        "fox_cases",
        ["merchant_id", "state", "location_id", "severity_rank", "opened_at", "id"],
        unique=False,
        schema="app",
    )
    op.drop_index("ix_fox_alerts_case", table_name="fox_alerts", schema="app")
    op.create_index(
        "ix_fox_alerts_case", "fox_alerts", ["merchant_id", "case_id", "rule_id"], unique=False, schema="app"
    )


def downgrade() -> None:
    op.drop_index("ix_fox_alerts_case", table_name="fox_alerts", schema="app")
    op.create_index(
        "ix_fox_alerts_case", "fox_alerts", ["merchant_id", "case_id"], unique=False, schema="app"
    )
    op.drop_index("ix_fox_cases_store", table_name="fox_cases", schema="app")
    op.drop_index("ix_fox_cases_closed", table_name="fox_cases", schema="app")
