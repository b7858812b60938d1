"""The right to be forgotten: ``canary forget-customer --merchant M --customer ID``.

In one tenant transaction (holding the projection lock, so no projection write interleaves):
1. collect the evidence seqs whose payloads named the customer — the last writer of every canonical
   row that references them (customer, contact fingerprints, their transactions and those
   transactions' lines, tenders, refund links and documents, loyalty accounts) plus every seq R's
   projection saw naming them (``customer_evidence``), which covers older versions of a payload;
2. replace the vendor id mapping by a random tombstone: the customer row is re-keyed and archived
   (``forgotten_at`` set, vendor attributes cleared), and every row that pointed at the old id points
   at the tombstone (or, for vendor-verbatim copies such as a Counterpoint ``CUST_NO``, at nothing);
   contact fingerprints are deleted and external identities archived and tombstoned;
3. erase those payloads (``inbox.payload = NULL, erased_at = now``). The chain keeps only hashes, so
   ``canary verify`` still passes and reports them as erased.
Then the redaction is itself recorded as evidence: a ``CANARY``/``canary.redaction`` event listing the
erased seqs, the reason, the actor and the time (no personal data), accepted and sealed at once.

Aggregates survive, anonymous: the tombstoned row keeps its lifetime value and counts.
Limit: events sealed but not yet parsed when this runs are not covered (nothing references them
yet); run it when ``canary health`` shows no parse lag, or run it again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, select, update
from sqlmodel import Session, SQLModel

from core.bus.port import SEALED, StreamBus
from core.clock import Clock
from core.customers.aggregates import CT, CUSTOMERS, PROJECTION_LOCK, USES, chunks
from core.customers.definitions import is_tombstone, new_tombstone
from core.customers.errors import CustomerNotFoundError
from core.customers.registry import ARCHIVED, find_customer
from core.db.tables.customers import ContactFingerprintRow, CustomerEvidence, ExternalIdentity
from core.db.tables.ledger import EvidenceRecord, InboxEntry
from core.db.tables.sales import LineItemRow, RefundLinkRow, TenderRow, TransactionRow
from core.db.uow import Database
from core.ingest.inbox import Inbox, IncomingEvent
from core.pipeline.seal import SealStage

REDACTION_EVENT = "canary.redaction"
VENDOR_ATTRIBUTES = (
    "tier",
    "tax_exempt",
    "credit_limit_cents",
    "ar_balance_cents",
    "creation_source",
    "vendor_created_at",
)


def _table(model: type[SQLModel]) -> Table:
    return model.__table__  # type: ignore[attr-defined,no-any-return]


TXN, LINES, TENDERS, REFUNDS = (
    _table(TransactionRow),
    _table(LineItemRow),
    _table(TenderRow),
    _table(RefundLinkRow),
)
CONTACTS, EVIDENCE, IDENTITIES = (
    _table(ContactFingerprintRow),
    _table(CustomerEvidence),
    _table(ExternalIdentity),
)


@dataclass(frozen=True)
class Reference:
    """A table outside R that points at a customer. ``by`` is ``customer`` (``column`` holds the
    customer id) or ``transaction`` (the row's ``id`` is one of the customer's transaction ids).
    ``scrub`` maps columns to new values; the string ``"@tombstone"`` means the tombstone id."""

    table: str
    by: str
    column: str
    scrub: dict[str, Any] = field(default_factory=dict)


# Tables are looked up by name, so a module that is not installed is simply skipped. A new table that
# stores a customer id (or a vendor-verbatim customer number) belongs in this list.
REFERENCES: list[Reference] = [
    Reference("sales.documents", "transaction", "id", {"customer_no": None}),
    Reference("app.loyalty_accounts", "customer", "customer_id", {"customer_id": None, "phone_hmac": None}),
]


@dataclass(frozen=True)
class ForgetResult:
    merchant_id: str
    tombstone: str
    transactions: int
    erased_seqs: list[int]
    payloads_erased: int
    redaction_inbox_id: str
    redaction_seq: int | None


@dataclass(frozen=True)
class ForgetPreview:
    """What ``forget`` would do now, changing nothing (``canary forget-customer --dry-run``)."""

    merchant_id: str
    customer_id: str
    transactions: int
    seqs: list[int]  # the evidence whose payloads name the customer
    payloads: int  # of those, the payloads still stored (the ones ``forget`` would erase)


class CustomerForgetter:
    def __init__(self, db: Database, inbox: Inbox, seal: SealStage, bus: StreamBus, clock: Clock) -> None:
        self._db, self._inbox, self._seal, self._bus, self._clock = db, inbox, seal, bus, clock

    def preview(self, merchant_id: str, customer_ref: str) -> ForgetPreview:
        with self._db.tenant(merchant_id) as session:
            old, txn_ids, seqs = _target(session, merchant_id, customer_ref)
            return ForgetPreview(
                merchant_id, old, len(txn_ids), sorted(seqs), _stored(session, merchant_id, seqs)
            )

    def forget(self, merchant_id: str, customer_ref: str, *, actor: str, reason: str) -> ForgetResult:
        now = self._clock.now()
        with PROJECTION_LOCK.tenant(self._db, merchant_id) as session:
            old, txn_ids, seqs = _target(session, merchant_id, customer_ref)
            tombstone = new_tombstone()
            _rekey(session, merchant_id, old, tombstone, txn_ids, now)
            erased = _erase(session, merchant_id, seqs, now)
        body = {
            "type": REDACTION_EVENT,
            "schema_version": 1,
            "merchant_id": merchant_id,
            "customer": tombstone,
            "erased_seqs": sorted(seqs),
            "reason": reason[:500],
            "actor": actor[:200],
            "at": now.isoformat(),
        }
        accepted = self._inbox.accept(
            IncomingEvent(
                merchant_id=merchant_id,
                source="CANARY",
                source_type="BATCH",
                event_type=REDACTION_EVENT,
                raw=json.dumps(body, sort_keys=True, separators=(",", ":")).encode(),
            )
        )
        sealed = self._seal.seal(merchant_id, [accepted.inbox_id])
        for seq in sealed:
            self._bus.publish(SEALED, {"merchant_id": merchant_id, "seq": str(seq)})
        return ForgetResult(
            merchant_id,
            tombstone,
            len(txn_ids),
            sorted(seqs),
            erased,
            accepted.inbox_id,
            sealed[0] if sealed else None,
        )


def _target(session: Session, merchant_id: str, customer_ref: str) -> tuple[str, list[str], set[int]]:
    """The customer's id, their transaction ids and the evidence seqs whose payloads name them."""
    customer = find_customer(session, merchant_id, customer_ref)
    if customer is None or customer.forgotten_at is not None or is_tombstone(customer.id):
        raise CustomerNotFoundError(f"no customer {customer_ref!r} to forget for merchant {merchant_id}")
    txn_ids = list(
        session.execute(
            select(TXN.c.id).where(TXN.c.merchant_id == merchant_id, TXN.c.customer_id == customer.id)
        ).scalars()
    )
    seqs = _seqs(session, merchant_id, customer.id, txn_ids)
    if customer.evidence_seq is not None:
        seqs.add(customer.evidence_seq)
    return customer.id, txn_ids, seqs


def _stored(session: Session, merchant_id: str, seqs: set[int]) -> int:
    """How many of these seqs' raw payloads are still stored (not erased yet)."""
    inbox, evidence = _table(InboxEntry), _table(EvidenceRecord)
    stored = 0
    for part in chunks(sorted(seqs)):
        stored += session.execute(
            select(func.count())
            .select_from(
                inbox.join(
                    evidence,
                    (evidence.c.merchant_id == inbox.c.merchant_id) & (evidence.c.inbox_id == inbox.c.id),
                )
            )
            .where(inbox.c.merchant_id == merchant_id, evidence.c.seq.in_(part), inbox.c.payload.is_not(None))
        ).scalar_one()
    return stored


def _seqs(session: Session, merchant_id: str, customer_id: str, txn_ids: list[str]) -> set[int]:
    found: set[int] = set()

    def collect(table: Table, *where: Any) -> None:
        found.update(
            s
            for s in session.execute(
                select(table.c.evidence_seq).where(table.c.merchant_id == merchant_id, *where)
            ).scalars()
            if s is not None
        )

    collect(CONTACTS, CONTACTS.c.customer_id == customer_id)
    found.update(
        session.execute(
            select(EVIDENCE.c.seq).where(
                EVIDENCE.c.merchant_id == merchant_id, EVIDENCE.c.customer_id == customer_id
            )
        ).scalars()
    )
    for part in chunks(txn_ids):
        collect(TXN, TXN.c.id.in_(part))
        collect(LINES, LINES.c.transaction_id.in_(part))
        collect(TENDERS, TENDERS.c.transaction_id.in_(part))
        collect(REFUNDS, REFUNDS.c.refund_transaction_id.in_(part))
    for ref, table in _references():
        if ref.by == "customer":
            collect(table, table.c[ref.column] == customer_id)
        else:
            for part in chunks(txn_ids):
                collect(table, table.c[ref.column].in_(part))
    return found


def _references() -> Iterable[tuple[Reference, Table]]:
    for ref in REFERENCES:
        table = SQLModel.metadata.tables.get(ref.table)
        if table is not None:
            yield ref, table


def _rekey(
    session: Session, merchant_id: str, old: str, tombstone: str, txn_ids: list[str], now: datetime
) -> None:
    session.execute(
        update(CUSTOMERS)
        .where(CUSTOMERS.c.merchant_id == merchant_id, CUSTOMERS.c.id == old)
        .values(
            id=tombstone,
            external_id=tombstone,
            db_status=ARCHIVED,
            archived_at=now,
            forgotten_at=now,
            updated_at=now,
            **dict.fromkeys(VENDOR_ATTRIBUTES),
        )
    )
    for table in (TXN, CT, USES):
        session.execute(
            update(table)
            .where(table.c.merchant_id == merchant_id, table.c.customer_id == old)
            .values(customer_id=tombstone)
        )
    session.execute(
        CONTACTS.delete().where(CONTACTS.c.merchant_id == merchant_id, CONTACTS.c.customer_id == old)
    )
    session.execute(
        EVIDENCE.delete().where(EVIDENCE.c.merchant_id == merchant_id, EVIDENCE.c.customer_id == old)
    )
    session.execute(
        update(IDENTITIES)
        .where(IDENTITIES.c.merchant_id == merchant_id, IDENTITIES.c.customer_id == old)
        .values(customer_id=tombstone, external_ref=tombstone, db_status=ARCHIVED, archived_at=now)
    )
    for ref, table in _references():
        values = {k: (tombstone if v == "@tombstone" else v) for k, v in ref.scrub.items()}
        if ref.by == "customer":
            session.execute(
                update(table)
                .where(table.c.merchant_id == merchant_id, table.c[ref.column] == old)
                .values(**values)
            )
            continue
        for part in chunks(txn_ids):
            session.execute(
                update(table)
                .where(table.c.merchant_id == merchant_id, table.c[ref.column].in_(part))
                .values(**values)
            )


def _erase(session: Session, merchant_id: str, seqs: set[int], now: datetime) -> int:
    inbox, evidence = _table(InboxEntry), _table(EvidenceRecord)
    erased = 0
    for part in chunks(sorted(seqs)):
        inbox_ids = list(
            session.execute(
                select(evidence.c.inbox_id).where(
                    evidence.c.merchant_id == merchant_id, evidence.c.seq.in_(part)
                )
            ).scalars()
        )
        result = session.execute(
            update(inbox)
            .where(
                inbox.c.merchant_id == merchant_id, inbox.c.id.in_(inbox_ids), inbox.c.payload.is_not(None)
            )
            .values(payload=None, erased_at=now)
        )
        erased += result.rowcount  # type: ignore[attr-defined]
    return erased
