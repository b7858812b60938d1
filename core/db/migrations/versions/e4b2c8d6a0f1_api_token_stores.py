"""api tokens limited to stores (a GM's token sees their stores)

Revision ID: e4b2c8d6a0f1
Revises: d1a7e5c3b9f2
Create Date: 2026-12-04 03:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "e4b2c8d6a0f1"
down_revision: str | None = "d1a7e5c3b9f2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOOKUP = """
CREATE FUNCTION app.api_token_lookup(p_token_id text)
RETURNS TABLE (merchant_id text, token_hash text, role text, scopes text,
               expires_at timestamptz, revoked_at timestamptz{extra})
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, app AS $$
    SELECT t.merchant_id::text, t.token_hash::text, t.role::text, t.scopes::text,
           t.expires_at, t.revoked_at{select}
    FROM app.api_tokens t WHERE t.id = p_token_id LIMIT 1
$$
"""


def upgrade() -> None:
    op.add_column(
        "api_tokens",
        sa.Column("stores", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        schema="app",
    )
    # The look-up's row type grows a column: a function's result type cannot be replaced in place.
    op.execute("DROP FUNCTION IF EXISTS app.api_token_lookup(text)")
    op.execute(LOOKUP.format(extra=", stores text", select=", t.stores::text"))


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS app.api_token_lookup(text)")
    op.execute(LOOKUP.format(extra="", select=""))
    op.drop_column("api_tokens", "stores", schema="app")
