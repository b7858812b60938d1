"""fox withdrawn members

Revision ID: f3c1a7d95e20
Revises: e9a2c4f1b785
Create Date: 2026-12-04 04:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "f3c1a7d95e20"
down_revision: str | None = "e9a2c4f1b785"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "fox_alerts",
        sa.Column(
            "withdrawn", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False, server_default=""
        ),
        schema="app",
    )
    op.add_column(
        "fox_cases",
        sa.Column("withdrawn", sa.Integer(), nullable=False, server_default="0"),
        schema="app",
    )


def downgrade() -> None:
    op.drop_column("fox_cases", "withdrawn", schema="app")
    op.drop_column("fox_alerts", "withdrawn", schema="app")
