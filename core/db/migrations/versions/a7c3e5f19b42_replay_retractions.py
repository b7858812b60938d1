"""replay retractions: the entities each seq's parse published, detections by seq

Revision ID: a7c3e5f19b42
Revises: a7d3e5c91b42
Create Date: 2026-12-04 18:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a7c3e5f19b42"
down_revision: str | None = "a7d3e5c91b42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("ingestion_log", sa.Column("entities", sa.JSON(), nullable=True), schema="app")
    op.create_index(
        "ix_detections_seq", "detections", ["merchant_id", "evidence_seq"], unique=False, schema="app"
    )


def downgrade() -> None:
    op.drop_index("ix_detections_seq", table_name="detections", schema="app")
    op.drop_column("ingestion_log", "entities", schema="app")
