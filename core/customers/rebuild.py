"""``canary rebuild customers``: recompute R's projection from T's canonical tables.

The canonical rows are the final, forward-only state of every transaction and tender, so deriving
``customer_transactions`` and ``card_uses`` from them and running the same aggregate recomputation
as the stream gives the same projection rows (``projection_snapshot`` is what a test compares).
The registry rows themselves are kept (their vendor fields belong to T); only projection columns,
per-transaction contributions and card profiles are replaced. ``customer_evidence`` only grows.
``rederive`` does the same for a few transactions (a replay's retraction, core/pipeline/retraction.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Table, func, literal, select, union, update
from sqlmodel import Session

from core.clock import Clock
from core.customers.aggregates import (
    CARD_COLUMNS,
    CT,
    CUSTOMERS,
    PROFILES,
    PROJECTION_COLUMNS,
    PROJECTION_LOCK,
    USES,
    recompute_cards,
    recompute_customers,
)
from core.db.dialect import insert_for
from core.db.tables.customers import ContactFingerprintRow, CustomerEvidence, ExternalIdentity
from core.db.tables.sales import TenderRow, TransactionRow
from core.db.uow import Database

TXN = TransactionRow.__table__  # type: ignore[attr-defined]
TENDERS = TenderRow.__table__  # type: ignore[attr-defined]
CONTACTS = ContactFingerprintRow.__table__  # type: ignore[attr-defined]
EVIDENCE = CustomerEvidence.__table__  # type: ignore[attr-defined]
IDENTITIES = ExternalIdentity.__table__  # type: ignore[attr-defined]


CT_COLUMNS = [
    "merchant_id",
    "transaction_id",
    "customer_id",
    "type",
    "status",
    "amount_cents",
    "currency",
    "location_id",
    "occurred_at",
    "version_key",
]
USE_COLUMNS = [
    "merchant_id",
    "transaction_id",
    "tender_no",
    "fingerprint",
    "card_brand",
    "customer_id",
    "location_id",
    "amount_cents",
    "currency",
    "occurred_at",
    "tender_occurred_at",
    "version_key",
]


def _contributions(merchant_id: str) -> Select[Any]:
    """``customer_transactions`` rows from the canonical transactions."""
    return select(
        TXN.c.merchant_id,
        TXN.c.id,
        TXN.c.customer_id,
        TXN.c.type,
        TXN.c.status,
        TXN.c.amount_cents,
        TXN.c.currency,
        TXN.c.location_id,
        TXN.c.occurred_at,
        TXN.c.version_key,
    ).where(TXN.c.merchant_id == merchant_id)


def _uses(merchant_id: str) -> Select[Any]:
    """``card_uses`` rows from the canonical tenders, each at its transaction's customer and place."""
    when = func.coalesce(TENDERS.c.occurred_at, TXN.c.occurred_at)
    return (
        select(
            TENDERS.c.merchant_id,
            TENDERS.c.transaction_id,
            TENDERS.c.tender_no,
            TENDERS.c.card_fingerprint,
            TENDERS.c.card_brand,
            TXN.c.customer_id,
            TXN.c.location_id,
            TENDERS.c.amount_cents,
            TENDERS.c.currency,
            when,
            TENDERS.c.occurred_at,
            TENDERS.c.version_key,
        )
        .select_from(
            TENDERS.outerjoin(
                TXN, (TXN.c.merchant_id == TENDERS.c.merchant_id) & (TXN.c.id == TENDERS.c.transaction_id)
            )
        )
        .where(TENDERS.c.merchant_id == merchant_id, when.is_not(None))
    )


@dataclass(frozen=True)
class RebuildSummary:
    merchant_id: str
    transactions: int
    customers: int
    card_uses: int
    cards: int


def rebuild(db: Database, clock: Clock, merchant_id: str) -> RebuildSummary:
    with PROJECTION_LOCK.tenant(db, merchant_id) as session:
        return rebuild_in(session, merchant_id, clock)


def rebuild_in(session: Session, merchant_id: str, clock: Clock) -> RebuildSummary:
    for table in (CT, USES):
        session.execute(table.delete().where(table.c.merchant_id == merchant_id))
    session.execute(CT.insert().from_select(CT_COLUMNS, _contributions(merchant_id)))
    session.execute(USES.insert().from_select(USE_COLUMNS, _uses(merchant_id)))
    _index_evidence(session, merchant_id)
    now = clock.now()
    customers = recompute_customers(session, merchant_id, None, now)
    cards = recompute_cards(session, merchant_id, None)
    return RebuildSummary(
        merchant_id, _count(session, CT, merchant_id), customers, _count(session, USES, merchant_id), cards
    )


def rederive(session: Session, merchant_id: str, transaction_ids: Sequence[str], now: datetime) -> int:
    """Re-derive these transactions' contributions and card uses from the canonical rows as they
    stand (a replay retracted them: gone, or back at an older seq's version), then recompute the
    customers and card profiles they touched before or touch now; returns how many were re-derived."""
    ids = sorted(set(transaction_ids))
    customers: set[str] = set()
    fingerprints: set[str] = set()
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        for table, column in ((CT, CT.c.customer_id), (TXN, TXN.c.customer_id)):
            key = table.c.transaction_id if table is CT else table.c.id
            customers.update(
                c
                for c in session.execute(
                    select(column).where(table.c.merchant_id == merchant_id, key.in_(part))
                ).scalars()
                if c
            )
        for table, column in ((USES, USES.c.fingerprint), (TENDERS, TENDERS.c.card_fingerprint)):
            fingerprints.update(
                f
                for f in session.execute(
                    select(column).where(table.c.merchant_id == merchant_id, table.c.transaction_id.in_(part))
                ).scalars()
                if f
            )
        for table in (CT, USES):
            session.execute(
                table.delete().where(table.c.merchant_id == merchant_id, table.c.transaction_id.in_(part))
            )
        session.execute(
            CT.insert().from_select(CT_COLUMNS, _contributions(merchant_id).where(TXN.c.id.in_(part)))
        )
        session.execute(
            USES.insert().from_select(
                USE_COLUMNS, _uses(merchant_id).where(TENDERS.c.transaction_id.in_(part))
            )
        )
    if customers:
        recompute_customers(session, merchant_id, customers, now)
        _reanchor_placeholders(session, merchant_id, sorted(customers))
        _drop_placeholders(session, merchant_id, sorted(customers))
    if fingerprints:
        recompute_cards(session, merchant_id, fingerprints)
    return len(ids)


def _reanchor_placeholders(session: Session, merchant_id: str, customer_ids: Sequence[str]) -> None:
    """A registry row the projection created for a customer a transaction named before any vendor
    record (no version, no evidence seq) is active from that first transaction (``valid_from``). A
    retraction that took that transaction away moves it to the first transaction that remains, where
    a first parse would have begun it; a later activation (a re-activation) is left as it is."""
    for start in range(0, len(customer_ids), 500):
        session.execute(
            update(CUSTOMERS)
            .where(
                CUSTOMERS.c.merchant_id == merchant_id,
                CUSTOMERS.c.id.in_(customer_ids[start : start + 500]),
                CUSTOMERS.c.version_key == "",
                CUSTOMERS.c.evidence_seq.is_(None),
                CUSTOMERS.c.first_seen_at.is_not(None),
                CUSTOMERS.c.valid_from < CUSTOMERS.c.first_seen_at,
            )
            .values(valid_from=CUSTOMERS.c.first_seen_at)
        )


def _drop_placeholders(session: Session, merchant_id: str, customer_ids: Sequence[str]) -> None:
    """Delete the registry rows the projection created for customers a transaction named before
    any vendor record (no version, no evidence seq) that nothing names any more: no transaction,
    card use, contact fingerprint or external identity. A first parse would never have made them."""
    named = [
        (CT, CT.c.customer_id),
        (USES, USES.c.customer_id),
        (CONTACTS, CONTACTS.c.customer_id),
        (IDENTITIES, IDENTITIES.c.customer_id),
    ]
    for start in range(0, len(customer_ids), 500):
        part = customer_ids[start : start + 500]
        still = {
            c
            for table, column in named
            for c in session.execute(
                select(column).where(table.c.merchant_id == merchant_id, column.in_(part))
            ).scalars()
        }
        gone = [c for c in part if c not in still]
        if gone:
            session.execute(
                CUSTOMERS.delete().where(
                    CUSTOMERS.c.merchant_id == merchant_id,
                    CUSTOMERS.c.id.in_(gone),
                    CUSTOMERS.c.evidence_seq.is_(None),
                    CUSTOMERS.c.version_key == "",
                )
            )


def _count(session: Session, table: Table, merchant_id: str) -> int:
    return int(
        session.execute(
            select(func.count()).select_from(table).where(table.c.merchant_id == merchant_id)
        ).scalar_one()
    )


def _index_evidence(session: Session, merchant_id: str) -> None:
    """Add the seqs the canonical rows record (the last writer of each) to the evidence index."""
    sources = union(
        select(literal(merchant_id), TXN.c.customer_id, TXN.c.evidence_seq).where(
            TXN.c.merchant_id == merchant_id, TXN.c.customer_id.is_not(None), TXN.c.evidence_seq.is_not(None)
        ),
        select(literal(merchant_id), CUSTOMERS.c.id, CUSTOMERS.c.evidence_seq).where(
            CUSTOMERS.c.merchant_id == merchant_id, CUSTOMERS.c.evidence_seq.is_not(None)
        ),
        select(literal(merchant_id), CONTACTS.c.customer_id, CONTACTS.c.evidence_seq).where(
            CONTACTS.c.merchant_id == merchant_id, CONTACTS.c.evidence_seq.is_not(None)
        ),
    )
    rows = [{"merchant_id": m, "customer_id": c, "seq": s} for m, c, s in session.execute(sources)]
    for start in range(0, len(rows), 5_000):
        session.execute(insert_for(session)(EVIDENCE).on_conflict_do_nothing(), rows[start : start + 5_000])


def projection_snapshot(db: Database, merchant_id: str) -> dict[str, list[tuple[Any, ...]]]:
    """The rows a rebuild must reproduce, in a stable order (audit timestamps left out)."""
    with db.tenant(merchant_id) as session:
        customers = session.execute(
            select(CUSTOMERS.c.id, CUSTOMERS.c.db_status, *(CUSTOMERS.c[c] for c in PROJECTION_COLUMNS))
            .where(CUSTOMERS.c.merchant_id == merchant_id)
            .order_by(CUSTOMERS.c.id)
        ).all()
        contributions = session.execute(
            select(*(c for c in CT.c if c.name != "merchant_id"))
            .where(CT.c.merchant_id == merchant_id)
            .order_by(CT.c.transaction_id)
        ).all()
        uses = session.execute(
            select(*(c for c in USES.c if c.name != "merchant_id"))
            .where(USES.c.merchant_id == merchant_id)
            .order_by(USES.c.transaction_id, USES.c.tender_no)
        ).all()
        cards = session.execute(
            select(PROFILES.c.fingerprint, *(PROFILES.c[c] for c in CARD_COLUMNS))
            .where(PROFILES.c.merchant_id == merchant_id)
            .order_by(PROFILES.c.fingerprint)
        ).all()
    return {
        "customers": [tuple(r) for r in customers],
        "customer_transactions": [tuple(r) for r in contributions],
        "card_uses": [tuple(r) for r in uses],
        "card_profiles": [tuple(r) for r in cards],
    }
