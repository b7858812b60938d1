"""fox rule days

Revision ID: e9a2c4f1b785
Revises: d4b7e91c0a63
Create Date: 2026-12-04 03:55:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "e9a2c4f1b785"
down_revision: str | None = "d4b7e91c0a63"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fox_rule_days",
        sa.Column("merchant_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("rule_id", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("case_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("alerts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("merchant_id", "day", "rule_id", "case_id"),
        schema="app",
    )
    # The counts of the alerts as they stand (run as the migrating superuser, so every tenant's rows).
    op.execute(
        "INSERT INTO app.fox_rule_days (merchant_id, day, rule_id, case_id, alerts) "
        "SELECT merchant_id, (occurred_at AT TIME ZONE 'UTC')::date, rule_id, coalesce(case_id, ''), count(*) "
        "FROM app.fox_alerts GROUP BY 1, 2, 3, 4"
    )
    op.execute("ALTER TABLE app.fox_rule_days ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE app.fox_rule_days FORCE ROW LEVEL SECURITY")
    op.execute("DROP POLICY IF EXISTS tenant_isolation ON app.fox_rule_days")
    op.execute(
        "CREATE POLICY tenant_isolation ON app.fox_rule_days USING (merchant_id = current_setting('canary.current_merchant_id', true)) WITH CHECK (merchant_id = current_setting('canary.current_merchant_id', true))"
    )


def downgrade() -> None:
    op.drop_table("fox_rule_days", schema="app")
