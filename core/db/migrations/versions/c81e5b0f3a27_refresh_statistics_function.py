"""refresh statistics function

Revision ID: c81e5b0f3a27
Revises: 3320e5cfcc0a
Create Date: 2026-12-04 03:35:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "c81e5b0f3a27"
down_revision: str | None = "3320e5cfcc0a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# core/db/statistics.py says why. Only tables of schema app, only those changed by at least 1,000 rows
# and 20 % of their size since their last analysis, one caller at a time (the others skip).
FUNCTION = """
CREATE OR REPLACE FUNCTION app.refresh_statistics(p_tables text[]) RETURNS SETOF text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, app AS $$
DECLARE
    t record;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtextextended('canary.refresh_statistics', 0)) THEN
        RETURN;
    END IF;
    FOR t IN
        SELECT c.relname
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid
        WHERE n.nspname = 'app' AND c.relkind = 'r' AND c.relname = ANY (p_tables)
          AND coalesce(s.n_mod_since_analyze, 0) >= greatest(1000, 0.5 * greatest(c.reltuples, 0))
        ORDER BY c.relname
    LOOP
        EXECUTE format('ANALYZE app.%I', t.relname);
        RETURN NEXT t.relname;
    END LOOP;
END
$$
"""


def upgrade() -> None:
    op.execute(FUNCTION)
    op.execute("REVOKE ALL ON FUNCTION app.refresh_statistics(text[]) FROM PUBLIC")


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS app.refresh_statistics(text[])")
