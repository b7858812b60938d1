"""A retraction finds the canonical rows a seq last wrote by ``evidence_seq`` (core/pipeline/
retraction.py, ``last_written``): on both backends every table it deletes from has an index on
(merchant_id, evidence_seq), and the look-up reads through it rather than scanning the table."""

from __future__ import annotations

from sqlalchemy import inspect, text

from core.db.base import REFERENCE_TABLES, evidence_tables
from core.db.uow import Database
from core.pipeline.retraction import last_written
from core.storage.canonical_writer import canonical_tables


def test_every_canonical_table_but_the_reference_ones_is_indexed_by_evidence_seq(any_db: Database) -> None:
    tables = {t.name for t in evidence_tables()}
    assert tables == {t.name for t, _key in canonical_tables()} - REFERENCE_TABLES
    assert {"transactions", "transaction_line_items", "cash_drawer_events", "documents"} <= tables
    postgres = any_db.engine.dialect.name == "postgresql"
    with any_db.engine.connect() as conn:
        found = inspect(conn)
        for table in evidence_tables():
            indexes = {
                i["name"]: i["column_names"]
                for i in found.get_indexes(table.name, schema=table.schema if postgres else None)
            }
            assert indexes.get(f"ix_{table.name}_evidence_seq") == ["merchant_id", "evidence_seq"], table.name


def test_the_retractions_look_up_reads_through_the_index(any_db: Database) -> None:
    postgres = any_db.engine.dialect.name == "postgresql"
    for table, natural_key in canonical_tables():
        if table.name in REFERENCE_TABLES:
            continue
        query = last_written(table, natural_key, "m_plan", [3, 5, 8])
        with any_db.engine.connect() as conn:
            sql = str(query.compile(conn, compile_kwargs={"literal_binds": True}))
            if postgres:  # tiny tables are cheaper to scan: say what the planner can use at all
                conn.execute(text("SET LOCAL enable_seqscan = off"))
                plan = "\n".join(r[0] for r in conn.execute(text(f"EXPLAIN {sql}")))
            else:  # the embedded file keeps every schema's tables in one (engine's schema_translate_map)
                sql = sql.replace(f"{table.schema}.", "")
                plan = "\n".join(str(r[-1]) for r in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
        assert f"ix_{table.name}_evidence_seq" in plan, (table.name, plan)
