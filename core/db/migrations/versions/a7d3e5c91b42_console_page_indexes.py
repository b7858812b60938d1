"""console page indexes: covering fox indexes and the case outcome on fox_rule_days

Revision ID: a7d3e5c91b42
Revises: f3c1a7d95e20
Create Date: 2026-12-04 18:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "a7d3e5c91b42"
down_revision: str | None = "f3c1a7d95e20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_fox_alerts_case", table_name="fox_alerts", schema="app")
    op.create_index(
        "ix_fox_alerts_case",
        "fox_alerts",
        ["merchant_id", "case_id", "rule_id"],
        unique=False,
        schema="app",
        postgresql_include=["withdrawn"],
    )
    op.create_index(
        "ix_fox_alerts_time",
        "fox_alerts",
        ["merchant_id", "occurred_at"],
        unique=False,
        schema="app",
        postgresql_include=["rule_id", "case_id", "withdrawn", "location_id"],
    )
    op.drop_index("ix_fox_cases_closed", table_name="fox_cases", schema="app")
    op.create_index(
        "ix_fox_cases_closed",
        "fox_cases",
        ["merchant_id", "closed_at"],
        unique=False,
        schema="app",
        postgresql_include=["outcome", "opened_at", "location_id"],
    )
    op.add_column(
        "fox_rule_days",
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=32), server_default="", nullable=False),
        schema="app",
    )
    op.create_index(
        "ix_fox_rule_days_case", "fox_rule_days", ["merchant_id", "case_id"], unique=False, schema="app"
    )
    # Each closed case's outcome on its rows (run as the migrating superuser: every tenant's).
    op.execute(
        "UPDATE app.fox_rule_days d SET outcome = c.outcome FROM app.fox_cases c "
        "WHERE c.merchant_id = d.merchant_id AND c.id = d.case_id "
        "AND c.state IN ('resolved', 'dismissed') AND c.outcome IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_index("ix_fox_rule_days_case", table_name="fox_rule_days", schema="app")
    op.drop_column("fox_rule_days", "outcome", schema="app")
    op.drop_index("ix_fox_cases_closed", table_name="fox_cases", schema="app")
    op.create_index(
        "ix_fox_cases_closed", "fox_cases", ["merchant_id", "closed_at"], unique=False, schema="app"
    )
    op.drop_index("ix_fox_alerts_time", table_name="fox_alerts", schema="app")
    op.drop_index("ix_fox_alerts_case", table_name="fox_alerts", schema="app")
    op.create_index(
        "ix_fox_alerts_case", "fox_alerts", ["merchant_id", "case_id", "rule_id"], unique=False, schema="app"
    )
