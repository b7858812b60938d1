"""The application role: a login that is neither superuser nor BYPASSRLS, so RLS always binds it.

``canary db upgrade`` (run with the admin URL) creates or updates it and grants what the stages need:
read/write on tenant tables, but only INSERT/SELECT on the append-only ledger tables.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, text

from core.db.engine import SCHEMAS

APPEND_ONLY = ("app.evidence_records", "app.merkle_nodes", "app.event_inscriptions")
_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def ensure_app_role(conn: Connection, role: str, password: str) -> None:
    if not _IDENT.match(role):
        raise ValueError(f"invalid role name {role!r}: use lower-case letters, digits and _")
    exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar()
    verb = "ALTER" if exists else "CREATE"
    # Role names cannot be bound parameters; the name was validated above, the password is quoted.
    quoted = conn.execute(text("SELECT quote_literal(:p)"), {"p": password}).scalar_one()
    conn.execute(text(f"{verb} ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE PASSWORD {quoted}"))
    for schema in SCHEMAS:
        conn.execute(text(f"GRANT USAGE ON SCHEMA {schema} TO {role}"))
        conn.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}"))
        conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}"))
    for table in APPEND_ONLY:
        conn.execute(text(f"REVOKE UPDATE, DELETE ON {table} FROM {role}"))
    conn.execute(text(f"GRANT EXECUTE ON FUNCTION app.resolve_merchant(text, text) TO {role}"))
    conn.execute(text(f"GRANT EXECUTE ON FUNCTION app.merchant_ids() TO {role}"))
    conn.execute(text(f"GRANT EXECUTE ON FUNCTION app.api_token_lookup(text) TO {role}"))
    conn.execute(text(f"GRANT EXECUTE ON FUNCTION app.refresh_statistics(text[]) TO {role}"))
