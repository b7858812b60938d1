"""An embedded `var/canary.db` left by an earlier Canary keeps working after an upgrade: the columns a
later version added are added in place, and a change SQLite cannot make in place is one clear line,
never a ``no such column`` traceback from the first query that touches it (issue 19)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlmodel import SQLModel
from typer.testing import CliRunner

from core.bootstrap import bootstrap
from core.cli.main import app
from core.db.engine import make_engine
from core.db.migrate import create_sqlite_schema
from core.db.sqlite_upgrade import SchemaOutOfDateError, add_missing_columns
from core.tenancy import onboard_merchant
from tests.support.pipeline import TEST_MASTER_KEY, TEST_SIGNING_KEY, settings_for


def _older_file(tmp_path: Path, *drop: tuple[str, str]) -> Path:
    """A current file with some columns taken away, as a file made before they existed looks."""
    path = tmp_path / "canary.db"
    container = bootstrap(settings_for(f"sqlite:///{path}", tmp_path, redis=False))
    try:
        onboard_merchant(container.db, container.keyring, merchant_id="m_old", name="Old Garden")
    finally:
        container.close()
    with sqlite3.connect(path) as conn:
        for table, column in drop:
            conn.execute(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
    return path


def _columns(path: Path, table: str) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')}


def test_a_file_missing_a_later_nullable_column_gains_it_and_keeps_its_rows(tmp_path: Path) -> None:
    path = _older_file(tmp_path, ("detections", "updated_at"), ("merchants", "revoked_at"))
    engine = make_engine(f"sqlite:///{path}")
    try:
        added = add_missing_columns(engine, SQLModel.metadata)
        assert sorted(added) == ["detections.updated_at", "merchants.revoked_at"]
        assert add_missing_columns(engine, SQLModel.metadata) == []  # a second open changes nothing
    finally:
        engine.dispose()
    assert "updated_at" in _columns(path, "detections")
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT id, revoked_at FROM merchants").fetchall() == [("m_old", None)]


def test_commands_work_on_the_older_file_with_no_extra_step(tmp_path: Path) -> None:
    path = _older_file(tmp_path, ("detections", "updated_at"))
    env = {
        "CANARY_DATABASE_URL": f"sqlite:///{path}",
        "CANARY_VAR_DIR": str(tmp_path),
        "CANARY_MASTER_KEY": TEST_MASTER_KEY,
        "CANARY_LEDGER_SIGNING_KEY": TEST_SIGNING_KEY,
        "CANARY_MERCHANT_ID": "",
    }
    result = CliRunner().invoke(app, ["detections", "list", "--merchant", "m_old", "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert "updated_at" in _columns(path, "detections")


def test_a_change_sqlite_cannot_make_in_place_is_one_line_with_what_to_do(tmp_path: Path) -> None:
    path = _older_file(tmp_path, ("bubble_device_scores", "state"))  # NOT NULL, no default
    engine = make_engine(f"sqlite:///{path}")
    try:
        with pytest.raises(SchemaOutOfDateError, match=r"cannot gain bubble_device_scores\.state in place"):
            create_sqlite_schema(engine)
    finally:
        engine.dispose()
    env = {
        "CANARY_DATABASE_URL": f"sqlite:///{path}",
        "CANARY_VAR_DIR": str(tmp_path),
        "CANARY_MASTER_KEY": TEST_MASTER_KEY,
        "CANARY_LEDGER_SIGNING_KEY": TEST_SIGNING_KEY,
    }
    result = CliRunner().invoke(app, ["verify"], env=env)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: the embedded database")
    assert "move the file aside" in lines[0]
    assert "Traceback" not in result.output


def test_a_file_from_before_ingestion_counts_gets_them_from_its_log(tmp_path: Path) -> None:
    path = _older_file(tmp_path)
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE ingestion_counts")
        conn.executemany(
            "INSERT INTO ingestion_log (merchant_id, seq, status, records, attempts, parser_version, "
            "updated_at) VALUES ('m_old', ?, ?, 0, 1, 'old', '2026-01-01 00:00:00')",
            [(1, "parsed"), (2, "parsed"), (3, "failed")],
        )
    engine = make_engine(f"sqlite:///{path}")
    try:
        create_sqlite_schema(engine)
        create_sqlite_schema(engine)  # a second open counts nothing twice
    finally:
        engine.dispose()
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT status, events FROM ingestion_counts ORDER BY status").fetchall()
    assert rows == [("failed", 1), ("parsed", 2)]


def test_a_file_missing_a_later_index_gains_it(tmp_path: Path) -> None:
    path = _older_file(tmp_path)
    with sqlite3.connect(path) as conn:  # as a file made before the retraction's look-up was indexed
        conn.execute("DROP INDEX ix_transactions_evidence_seq")
    engine = make_engine(f"sqlite:///{path}")
    try:
        create_sqlite_schema(engine)
        create_sqlite_schema(engine)  # a second open changes nothing
    finally:
        engine.dispose()
    with sqlite3.connect(path) as conn:
        columns = [r[2] for r in conn.execute('PRAGMA index_info("ix_transactions_evidence_seq")')]
    assert columns == ["merchant_id", "evidence_seq"]
