"""Row-level security on real Postgres, connected as the application role."""

from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, ProgrammingError
from sqlmodel import SQLModel, select

from core.db.tables.ledger import EvidenceRecord
from core.db.tables.tenants import Location, Merchant
from core.db.uow import Database

pytestmark = pytest.mark.postgres


def _merchant(db: Database) -> str:
    merchant_id = f"m_{uuid.uuid4().hex[:12]}"
    with db.tenant(merchant_id) as s:
        s.add(Merchant(id=merchant_id, name="Test Garden Center"))
        s.add(Location(merchant_id=merchant_id, id="loc-1", source="SQUARE", external_id="L1"))
    return merchant_id


def test_every_table_with_a_merchant_id_has_forced_rls_and_a_policy(pg_admin: Database) -> None:
    with pg_admin.system() as s:
        tenant_tables = set(
            s.execute(
                text(
                    "SELECT table_schema || '.' || table_name FROM information_schema.columns "
                    "WHERE column_name = 'merchant_id' AND table_schema IN ('app','sales','metrics')"
                )
            ).scalars()
        ) | {"app.merchants"}
        covered = set(
            s.execute(
                text(
                    "SELECT n.nspname || '.' || c.relname FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "JOIN pg_policies p ON p.schemaname = n.nspname AND p.tablename = c.relname "
                    "WHERE c.relrowsecurity AND c.relforcerowsecurity"
                )
            ).scalars()
        )
    assert len(tenant_tables) > 10
    assert tenant_tables - covered == set(), "tenant tables without forced RLS and a policy"


def test_the_application_role_is_neither_superuser_nor_bypassrls(pg_app: Database) -> None:
    with pg_app.system() as s:
        row = s.execute(
            text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        ).one()
    assert tuple(row) == (False, False)


def test_with_no_tenant_set_a_query_returns_no_rows(pg_app: Database) -> None:
    _merchant(pg_app)
    with pg_app.system() as s:
        assert s.exec(select(Location)).all() == []
        assert s.exec(select(Merchant)).all() == []


def test_tenant_a_cannot_read_update_or_delete_tenant_b_rows(pg_app: Database) -> None:
    a, b = _merchant(pg_app), _merchant(pg_app)
    with pg_app.tenant(a) as s:
        assert {loc.merchant_id for loc in s.exec(select(Location)).all()} == {a}
        updated = s.execute(text("UPDATE app.locations SET name = 'stolen' WHERE merchant_id = :b"), {"b": b})
        deleted = s.execute(text("DELETE FROM app.locations WHERE merchant_id = :b"), {"b": b})
        assert (updated.rowcount, deleted.rowcount) == (0, 0)
    with pg_app.tenant(b) as s:
        names = [loc.name for loc in s.exec(select(Location)).all()]
    assert names == [None]


def test_an_insert_carrying_another_tenants_merchant_id_is_refused(pg_app: Database) -> None:
    a, b = _merchant(pg_app), _merchant(pg_app)
    evil = Location(merchant_id=b, id="loc-evil", source="SQUARE", external_id="X")
    # The unit of work is part of what is tested: the refusal must surface through it.
    with pytest.raises(ProgrammingError, match="row-level security"), pg_app.tenant(a) as s:  # noqa: PT012
        s.add(evil)
        s.flush()


def test_sealed_evidence_cannot_be_updated_or_deleted_by_the_application(pg_app: Database) -> None:
    a = _merchant(pg_app)
    with pytest.raises(DBAPIError, match="permission denied"), pg_app.tenant(a) as s:
        s.execute(text("UPDATE app.evidence_records SET seq = seq + 1"))
    with pytest.raises(DBAPIError, match="permission denied"), pg_app.tenant(a) as s:
        s.execute(text("DELETE FROM app.evidence_records"))
    with pg_app.tenant(a) as s:
        assert s.exec(select(EvidenceRecord)).all() == []


def test_routing_functions_find_a_merchant_without_exposing_rows(pg_app: Database) -> None:
    a = _merchant(pg_app)
    with pg_app.system() as s:
        found = s.execute(text("SELECT app.resolve_merchant(:m, NULL)"), {"m": a}).scalar()
        listed = set(s.execute(text("SELECT app.merchant_ids()")).scalars())
    assert found == a
    assert a in listed


def test_the_migrations_produce_exactly_the_schema_the_models_declare(pg_admin: Database) -> None:
    import core.db.tables  # noqa: F401

    with pg_admin.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "include_schemas": True,
                "include_name": lambda n, t, _p: t != "schema" or n in ("app", "sales", "metrics"),
                "compare_type": True,
                "version_table_schema": "app",
            },
        )
        diff = [d for d in compare_metadata(context, SQLModel.metadata) if "alembic_version" not in str(d)]
    assert diff == []
