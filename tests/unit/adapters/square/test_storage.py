"""Every record the samples produce has a table and fits it, and the real writer turns out-of-order
deliveries into the newest state (SQLite; the Postgres writer is covered by the pipeline tests)."""

from __future__ import annotations

from sqlmodel import select

import core.db.tables.square_extras  # noqa: F401  (registers this adapter's tables; see the hand-off notes)
from core.db.tables.customers import Customer
from core.db.tables.sales import TenderRow, TransactionRow
from core.db.uow import Database
from core.domain.parsing import Parsed
from core.storage.canonical_writer import write_records

from .support import SAMPLE_NAMES, parsed, run, sample_bytes

MERCHANT = "m_square_storage"


def test_every_record_from_every_sample_is_stored(sqlite_db: Database) -> None:
    with sqlite_db.tenant(MERCHANT) as session:
        for seq, name in enumerate(SAMPLE_NAMES, start=1):
            outcome = run(sample_bytes(name))
            if isinstance(outcome, Parsed):
                assert write_records(session, MERCHANT, seq, outcome.records) == len(outcome.records), name


def test_updated_then_created_then_updated_again_converges_on_the_completed_payment(
    sqlite_db: Database,
) -> None:
    with sqlite_db.tenant(MERCHANT) as session:
        for seq, name in enumerate(["payment.updated", "payment.created", "payment.updated"], start=1):
            write_records(session, MERCHANT, seq, parsed(sample_bytes(name)).records)
    with sqlite_db.tenant(MERCHANT) as session:
        tender = session.exec(select(TenderRow).where(TenderRow.merchant_id == MERCHANT)).one()
        transaction = session.exec(select(TransactionRow).where(TransactionRow.merchant_id == MERCHANT)).one()
    assert (tender.status, transaction.status, transaction.evidence_seq) == ("COMPLETED", "COMPLETED", 3)


def test_a_customer_stub_from_a_sale_never_overwrites_the_customer(sqlite_db: Database) -> None:
    with sqlite_db.tenant(MERCHANT) as session:
        write_records(session, MERCHANT, 1, parsed(sample_bytes("customer.deleted")).records)
        write_records(session, MERCHANT, 2, parsed(sample_bytes("loyalty.account.created")).records)
    with sqlite_db.tenant(MERCHANT) as session:
        customer = session.exec(select(Customer).where(Customer.merchant_id == MERCHANT)).one()
    assert (customer.db_status, customer.creation_source, customer.evidence_seq) == ("archived", "IMPORT", 1)
