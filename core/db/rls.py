"""Row-level security DDL, generated from the table list so no tenant table is left uncovered.

Every tenant table gets ENABLE + FORCE (FORCE makes the policy bind the table owner too) and one
policy comparing its tenant column with the transaction's ``canary.current_merchant_id``. With the
setting absent, ``current_setting(…, true)`` is NULL and the comparison admits nothing.
"""

from __future__ import annotations

from sqlalchemy import Table

from core.db.base import tenant_column

POLICY = "tenant_isolation"
SETTING_EXPR = "current_setting('canary.current_merchant_id', true)"


def enable_rls_sql(schema: str, table: str, column: str = "merchant_id") -> list[str]:
    qualified = f"{schema}.{table}"
    predicate = f"{column} = {SETTING_EXPR}"
    return [
        f"ALTER TABLE {qualified} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {qualified} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS {POLICY} ON {qualified}",
        f"CREATE POLICY {POLICY} ON {qualified} USING ({predicate}) WITH CHECK ({predicate})",
    ]


def rls_sql_for(table: Table) -> list[str]:
    assert table.schema, f"tenant table {table.name} has no schema"
    return enable_rls_sql(table.schema, table.name, tenant_column(table))


# Cross-tenant look-ups that must work before a tenant is known (routing a webhook to its merchant,
# listing merchants for the sweeper). SECURITY DEFINER runs them as the migration owner; they return
# ids only, never tenant rows, and pin search_path so they cannot be hijacked.
ROUTING_FUNCTIONS = [
    """
    CREATE OR REPLACE FUNCTION app.resolve_merchant(p_ref text, p_square_merchant_id text)
    RETURNS text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, app AS $$
        SELECT id FROM app.merchants
        WHERE (p_ref IS NOT NULL AND id = p_ref)
           OR (p_ref IS NULL AND square_merchant_id = p_square_merchant_id)
        LIMIT 1
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION app.merchant_ids()
    RETURNS SETOF text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, app AS $$
        SELECT id FROM app.merchants ORDER BY id
    $$
    """,
    # An MCP request's bearer token names its row by the public id inside it; the caller compares the
    # hash (timing-safe) and only then learns the merchant. Returns the one row of that id, nothing else.
    """
    CREATE OR REPLACE FUNCTION app.api_token_lookup(p_token_id text)
    RETURNS TABLE (merchant_id text, token_hash text, role text, scopes text,
                   expires_at timestamptz, revoked_at timestamptz, stores text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, app AS $$
        SELECT t.merchant_id::text, t.token_hash::text, t.role::text, t.scopes::text,
               t.expires_at, t.revoked_at, t.stores::text
        FROM app.api_tokens t WHERE t.id = p_token_id LIMIT 1
    $$
    """,
]
