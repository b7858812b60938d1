"""Forward-only upserts on both backends."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlmodel import select

from core.db.tables.sales import TransactionRow
from core.db.tables.tenants import Merchant
from core.db.uow import Database
from core.domain.records import version_key
from core.domain.sales import Transaction
from core.storage.canonical_writer import write_records

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _tx(amount: int, minute: int) -> Transaction:
    return Transaction(
        id="sq:order:o1",
        type="SALE",
        source="SQUARE",
        source_type="WEBHOOK",
        external_id="o1",
        amount_cents=amount,
        occurred_at=T0,
        version_key=version_key(T0.replace(minute=minute)),
    )


def _merchant(db: Database) -> str:
    merchant_id = f"m_{uuid.uuid4().hex[:10]}"
    with db.tenant(merchant_id) as s:
        s.add(Merchant(id=merchant_id, name="Shop"))
    return merchant_id


def test_a_newer_version_replaces_and_an_older_one_changes_nothing(any_db: Database) -> None:
    m = _merchant(any_db)
    with any_db.tenant(m) as s:
        write_records(s, m, 1, [_tx(500, 1)])
    with any_db.tenant(m) as s:
        write_records(s, m, 2, [_tx(700, 5)])
    with any_db.tenant(m) as s:
        write_records(s, m, 3, [_tx(100, 3)])  # late, older payload
    with any_db.tenant(m) as s:
        row = s.exec(select(TransactionRow).where(TransactionRow.merchant_id == m)).one()
    assert (row.amount_cents, row.evidence_seq, row.occurred_at) == (700, 2, T0)


def test_a_batch_with_two_versions_of_one_row_keeps_the_newest(any_db: Database) -> None:
    m = _merchant(any_db)
    with any_db.tenant(m) as s:
        write_records(s, m, 9, [_tx(900, 9), _tx(200, 2)])
    with any_db.tenant(m) as s:
        assert s.exec(select(TransactionRow.amount_cents).where(TransactionRow.merchant_id == m)).all() == [
            900
        ]


def test_redelivery_of_the_same_record_is_harmless(any_db: Database) -> None:
    m = _merchant(any_db)
    for _ in range(3):
        with any_db.tenant(m) as s:
            write_records(s, m, 4, [_tx(400, 4)])
    with any_db.tenant(m) as s:
        rows = s.exec(select(TransactionRow).where(TransactionRow.merchant_id == m)).all()
    assert [(r.amount_cents, r.evidence_seq) for r in rows] == [(400, 4)]
