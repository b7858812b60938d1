"""detection revisions: an episode's detection is updated as it grows

Revision ID: 5c1e0a7d2b94
Revises: 6de04914ef81
Create Date: 2026-12-04 01:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.domain.columns

revision: str = "5c1e0a7d2b94"
down_revision: str | None = "6de04914ef81"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "detections", sa.Column("revision", sa.Integer(), server_default="0", nullable=False), schema="app"
    )
    op.add_column(
        "detections",
        sa.Column("updated_at", core.domain.columns.UTCDateTime(timezone=True), nullable=True),
        schema="app",
    )


def downgrade() -> None:
    op.drop_column("detections", "updated_at", schema="app")
    op.drop_column("detections", "revision", schema="app")
