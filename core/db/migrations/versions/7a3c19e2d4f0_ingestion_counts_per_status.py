"""ingestion counts per status

Revision ID: 7a3c19e2d4f0
Revises: 36b122d5ddc3
Create Date: 2026-12-04 03:15:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "7a3c19e2d4f0"
down_revision: str | None = "36b122d5ddc3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ingestion_counts",
        sa.Column("merchant_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("merchant_id", "status"),
        schema="app",
    )
    # The counts of the log as it stands (run as the migrating superuser, so every tenant's rows).
    op.execute(
        "INSERT INTO app.ingestion_counts (merchant_id, status, events) "
        "SELECT merchant_id, status, count(*) FROM app.ingestion_log GROUP BY merchant_id, status"
    )
    op.execute("ALTER TABLE app.ingestion_counts ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE app.ingestion_counts FORCE ROW LEVEL SECURITY")
    op.execute("DROP POLICY IF EXISTS tenant_isolation ON app.ingestion_counts")
    op.execute(
        "CREATE POLICY tenant_isolation ON app.ingestion_counts USING (merchant_id = current_setting('canary.current_merchant_id', true)) WITH CHECK (merchant_id = current_setting('canary.current_merchant_id', true))"
    )


def downgrade() -> None:
    op.drop_table("ingestion_counts", schema="app")
