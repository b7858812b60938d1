"""fox digest subscriptions and sends

Revision ID: d1a7e5c3b9f2
Revises: 7a3c19e2d4f0
Create Date: 2026-12-04 03:55:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.domain.columns

revision: str = "d1a7e5c3b9f2"
down_revision: str | None = "7a3c19e2d4f0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("fox_digest_subscriptions", "fox_digest_sends")
POLICY = "merchant_id = current_setting('canary.current_merchant_id', true)"  # as every tenant table


def upgrade() -> None:
    op.create_table(
        "fox_digest_subscriptions",
        sa.Column("merchant_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("created_at", core.domain.columns.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("merchant_id", "id"),
        schema="app",
    )
    op.create_table(
        "fox_digest_sends",
        sa.Column("merchant_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("subscription_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("period_end", core.domain.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", core.domain.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_at", core.domain.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", core.domain.columns.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("merchant_id", "id"),
        schema="app",
    )
    op.create_index(
        "ix_fox_digest_sends_due",
        "fox_digest_sends",
        ["merchant_id", "state", "next_attempt_at"],
        unique=False,
        schema="app",
    )
    for table in TABLES:
        op.execute(f"ALTER TABLE app.{table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE app.{table} FORCE ROW LEVEL SECURITY")
        op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON app.{table}")
        op.execute(f"CREATE POLICY tenant_isolation ON app.{table} USING ({POLICY}) WITH CHECK ({POLICY})")


def downgrade() -> None:
    op.drop_index("ix_fox_digest_sends_due", table_name="fox_digest_sends", schema="app")
    op.drop_table("fox_digest_sends", schema="app")
    op.drop_table("fox_digest_subscriptions", schema="app")
