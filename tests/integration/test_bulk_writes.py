"""``core/db/bulk.py`` writes and updates the rows an executemany would, on both backends: every
column type the pipeline sends that way (text, NULLs, bytes, integers, aware times), a row count of
one and of many, an ``ON CONFLICT`` clause on Postgres, and a naive time refused as everywhere."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Table
from sqlmodel import col, select

from core.db.bulk import insert_rows, update_rows
from core.db.tables.ledger import InboxEntry, IngestionLogEntry, MerkleNode
from core.db.uow import Database
from core.pipeline.ingestion_log import counts, record_outcomes
from core.pipeline.parse_plan import EventResult
from core.security.keyring import MerchantKeyring
from core.tenancy import onboard_merchant

INBOX: Table = InboxEntry.__table__  # type: ignore[attr-defined]
NODES: Table = MerkleNode.__table__  # type: ignore[attr-defined]
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _merchant(db: Database) -> str:
    merchant_id = f"m_{uuid.uuid4().hex[:10]}"
    onboard_merchant(db, MerchantKeyring(b"k" * 32), merchant_id=merchant_id, name="Bulk Garden Center")
    return merchant_id


def _inbox_row(merchant_id: str, n: int, event_id: str | None) -> dict[str, object]:
    return {
        "merchant_id": merchant_id,
        "id": f"{n:013d}-{n:012d}-abc",
        "source": "SQUARE",
        "source_type": "WEBHOOK",
        "source_event_id": event_id,
        "event_type": None,
        "api_version": "2025-08-20",
        "event_hash": hashlib.sha256(str(n).encode()).digest(),
        "size_bytes": 100 + n,
        "payload": bytes([n % 256]) * 40,
        "key_version": 1,
        "received_at": T0 + timedelta(seconds=n),
        "sealed_seq": None,
        "sealed_at": None,
        "erased_at": None,
    }


@pytest.mark.parametrize("count", [1, 37])
def test_insert_then_update_give_the_rows_an_executemany_would(any_db: Database, count: int) -> None:
    merchant_id = _merchant(any_db)
    rows = [_inbox_row(merchant_id, n, f"e{n}" if n % 3 else None) for n in range(count)]
    with any_db.tenant(merchant_id) as session:
        insert_rows(session, INBOX, rows)
    sealed_at = T0 + timedelta(hours=1)
    with any_db.tenant(merchant_id) as session:
        update_rows(
            session,
            INBOX,
            ("merchant_id", "id"),
            [
                {"merchant_id": merchant_id, "id": r["id"], "sealed_seq": n + 1, "sealed_at": sealed_at}
                for n, r in enumerate(rows)
                if n % 2 == 0
            ],
        )
    with any_db.tenant(merchant_id) as session:
        stored = session.exec(
            select(InboxEntry).where(InboxEntry.merchant_id == merchant_id).order_by(col(InboxEntry.id))
        ).all()
    assert len(stored) == count
    for n, (row, entry) in enumerate(zip(rows, stored, strict=True)):
        expected = {
            **row,
            "sealed_seq": n + 1 if n % 2 == 0 else None,
            "sealed_at": sealed_at if n % 2 == 0 else None,
        }
        assert entry.model_dump() == expected


def test_a_naive_time_is_refused(any_db: Database) -> None:
    merchant_id = _merchant(any_db)
    row = {**_inbox_row(merchant_id, 1, None), "received_at": datetime(2026, 3, 1, 12, 0)}
    with pytest.raises(Exception, match="naive datetime"), any_db.tenant(merchant_id) as session:
        insert_rows(session, INBOX, [row])


@pytest.mark.postgres
def test_an_on_conflict_clause_applies_to_every_row(pg_app: Database) -> None:
    merchant_id = _merchant(pg_app)
    nodes = [{"merchant_id": merchant_id, "level": 0, "idx": i, "hash": bytes([i]) * 32} for i in range(5)]
    with pg_app.tenant(merchant_id) as session:
        insert_rows(session, NODES, nodes[:3])
    with pg_app.tenant(merchant_id) as session:
        insert_rows(
            session,
            NODES,
            [{**n, "hash": b"\xff" * 32} for n in nodes],
            conflict="ON CONFLICT (merchant_id, level, idx) DO NOTHING",
        )
    with pg_app.tenant(merchant_id) as session:
        stored = session.exec(
            select(MerkleNode.idx, MerkleNode.hash)
            .where(MerkleNode.merchant_id == merchant_id)
            .order_by(col(MerkleNode.idx))
        ).all()
    assert [(i, h) for i, h in stored] == [(i, bytes([i]) * 32) for i in range(3)] + [
        (3, b"\xff" * 32),
        (4, b"\xff" * 32),
    ]


def test_an_on_conflict_clause_is_refused_on_sqlite(sqlite_db: Database) -> None:
    merchant_id = _merchant(sqlite_db)
    node = {"merchant_id": merchant_id, "level": 0, "idx": 0, "hash": b"\0" * 32}
    with pytest.raises(ValueError, match="Postgres only"), sqlite_db.tenant(merchant_id) as session:
        insert_rows(session, NODES, [node], conflict="ON CONFLICT DO NOTHING")


def test_columns_left_out_get_their_defaults(any_db: Database) -> None:
    merchant_id = _merchant(any_db)
    row = _inbox_row(merchant_id, 2, "e2")
    for column in ("key_version", "sealed_seq", "sealed_at", "erased_at"):
        del row[column]
    with any_db.tenant(merchant_id) as session:
        insert_rows(session, INBOX, [row])
    with any_db.tenant(merchant_id) as session:
        entry = session.exec(select(InboxEntry).where(InboxEntry.merchant_id == merchant_id)).one()
    assert (entry.key_version, entry.sealed_seq, entry.sealed_at, entry.erased_at) == (1, None, None, None)


def test_recording_a_verdict_again_replaces_it_and_counts_the_attempt(any_db: Database) -> None:
    """``record_outcomes`` writes its log rows as one statement of arrays on Postgres and one
    upsert per row on SQLite: the same rows either way, and a second verdict is a second attempt."""
    merchant_id = _merchant(any_db)
    with any_db.tenant(merchant_id) as session:
        record_outcomes(
            session,
            merchant_id,
            [EventResult(1, "parsed", records=3), EventResult(2, "failed", "bad", "x")],
            T0,
        )
    later = T0 + timedelta(minutes=5)
    with any_db.tenant(merchant_id) as session:
        record_outcomes(session, merchant_id, [EventResult(2, "parsed", records=1)], later)
    with any_db.tenant(merchant_id) as session:
        rows = session.exec(
            select(IngestionLogEntry)
            .where(IngestionLogEntry.merchant_id == merchant_id)
            .order_by(col(IngestionLogEntry.seq))
        ).all()
        tally = counts(session, merchant_id)
    assert [
        (r.seq, r.status, r.reason, r.error_field, r.records, r.attempts, r.updated_at) for r in rows
    ] == [
        (1, "parsed", None, None, 3, 1, T0),
        (2, "parsed", None, None, 1, 2, later),
    ]
    assert {status: n for status, n in tally.items() if n} == {"parsed": 2}
