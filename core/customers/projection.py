"""R's projection: a consumer of ``canary:detection`` that keeps customers and card profiles current.

Exactly-once in effect through ``core.consumers.tracked``: per merchant and batch, one transaction
records each message's key together with the projection's writes, so a redelivered message finds its
key and changes nothing. Within the transaction the projection
- keeps, per transaction, what it contributes (``customer_transactions``) and, per card tender, who
  used the card where (``card_uses``) — forward-only in the vendor's version, like the canonical
  writer, so a late older payload changes nothing and an updated one moves its money;
- upserts the customer a transaction names if the registry has no row yet (T catches up later);
- re-activates an archived customer who is named by a transaction again;
- records which evidence seqs named which customer (for the right to be forgotten);
- recomputes the affected customers and card profiles (``core.customers.aggregates``).
Events derived from a payload erased under the right to be forgotten are skipped, so a stale
message still in the stream cannot bring a forgotten vendor id back. A retraction (a replay whose
parse of the seq no longer names the entity: core/pipeline/retraction.py) re-derives the
transactions the parse stage removed from the canonical rows (``rebuild.rederive``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlmodel import Session, col

from core.bus.port import PARSED_EVENTS
from core.clock import Clock
from core.consumers.tracked import Batch, ParsedEventConsumer
from core.customers.aggregates import (
    CT,
    PROJECTION_LOCK,
    USES,
    chunks,
    recompute_cards,
    recompute_customers,
)
from core.customers.rebuild import rederive
from core.customers.registry import reactivate, sync_archive_dates
from core.db.dialect import insert_for
from core.db.tables.customers import CustomerEvidence
from core.db.tables.ledger import EvidenceRecord, InboxEntry
from core.db.uow import Database
from core.domain.parsing import ParsedEvent
from core.domain.sales import Tender, Transaction

log = logging.getLogger(__name__)
CONSUMER = "customers"


@dataclass(frozen=True)
class ApplySummary:
    messages: int = 0
    duplicates: int = 0
    erased: int = 0
    transactions: int = 0
    customers: int = 0
    cards: int = 0


class CustomerProjection(ParsedEventConsumer[ApplySummary]):
    """A ``Stage`` for the worker runner: name ``customers`` on ``detection``, group ``customers``."""

    name = "customers"
    stream = PARSED_EVENTS
    group = "customers"
    consumer = CONSUMER

    def __init__(self, db: Database, clock: Clock) -> None:
        super().__init__(db, clock, PROJECTION_LOCK)

    def apply_batch(self, session: Session, batch: Batch[ParsedEvent]) -> ApplySummary:
        """One merchant's fresh events (the ``TrackedConsumer`` skeleton skips redeliveries)."""
        merchant_id = batch.merchant_id
        retracted = [e for e in batch.fresh if e.retracted]
        events = [e for e in batch.fresh if not e.retracted]
        erased = _erased_seqs(session, merchant_id, {e.evidence_seq for e in events})
        live = [e for e in events if e.evidence_seq not in erased]
        summary = self._apply_events(session, merchant_id, live)
        # A replay's retraction: the transactions it removed are re-derived from the canonical rows
        # (gone, or an older seq's version), after this batch's own events.
        removed = sorted({str(k[0]) for e in retracted for k in e.removed("transactions") if k})
        if removed:
            rederive(session, merchant_id, removed, self._clock.now())
        return ApplySummary(
            messages=batch.received,
            duplicates=batch.duplicates,
            erased=len(events) - len(live),
            transactions=summary.transactions + len(removed),
            customers=summary.customers,
            cards=summary.cards,
        )

    def _apply_events(
        self, session: Session, merchant_id: str, events: Sequence[ParsedEvent]
    ) -> ApplySummary:
        now = self._clock.now()
        seen = _transactions(events)
        customers, named, current = _apply_transactions(session, merchant_id, seen)
        fingerprints = _apply_card_uses(session, merchant_id, seen, current)
        _record_evidence(session, merchant_id, events)
        customer_events = [
            str(e.facts["customer"]["id"]) for e in events if isinstance(e.facts.get("customer"), dict)
        ]
        recompute_customers(session, merchant_id, customers, now)
        reactivate(session, merchant_id, named, now)
        sync_archive_dates(session, merchant_id, customer_events, now)
        recompute_cards(session, merchant_id, fingerprints)
        return ApplySummary(transactions=len(current), customers=len(customers), cards=len(fingerprints))


@dataclass(frozen=True)
class _Seen:
    seq: int
    transaction: Transaction
    tenders: list[Tender]


@dataclass(frozen=True)
class _State:
    """A transaction as the projection holds it after this batch: its newest version."""

    customer_id: str | None
    location_id: str | None
    occurred_at: datetime
    applied: bool  # this batch moved it forward


def _transactions(events: Iterable[ParsedEvent]) -> list[_Seen]:
    seen: list[_Seen] = []
    for event in events:  # in seq order: at equal versions the later seq wins, as in the canonical writer
        raw = event.facts.get("transaction")
        if not isinstance(raw, dict):
            continue
        tenders = [Tender.model_validate(t) for t in event.facts.get("tenders") or [] if isinstance(t, dict)]
        seen.append(_Seen(event.evidence_seq, Transaction.model_validate(raw), tenders))
    return seen


def _apply_transactions(
    session: Session, merchant_id: str, seen: Sequence[_Seen]
) -> tuple[set[str], set[str], dict[str, _State]]:
    """Upsert each transaction's newest version; returns (customers to recompute, customers named
    anew, the current state of every transaction in the batch)."""
    newest: dict[str, Transaction] = {}
    for s in seen:
        held_txn = newest.get(s.transaction.id)
        if held_txn is None or held_txn.version_key <= s.transaction.version_key:
            newest[s.transaction.id] = s.transaction
    existing: dict[str, Any] = {}
    for part in chunks(sorted(newest)):
        for row in session.execute(
            select(CT).where(CT.c.merchant_id == merchant_id, CT.c.transaction_id.in_(part))
        ):
            existing[row.transaction_id] = row
    affected: set[str] = set()
    named: set[str] = set()
    current: dict[str, _State] = {}
    rows: list[dict[str, Any]] = []
    for txn_id, txn in newest.items():
        held = existing.get(txn_id)
        if held is not None and held.version_key > txn.version_key:  # an older version arriving late
            current[txn_id] = _State(held.customer_id, held.location_id, held.occurred_at, applied=False)
            continue
        current[txn_id] = _State(txn.customer_id, txn.location_id, txn.occurred_at, applied=True)
        rows.append(
            {
                "merchant_id": merchant_id,
                "transaction_id": txn_id,
                "customer_id": txn.customer_id,
                "type": txn.type,
                "status": txn.status,
                "amount_cents": txn.amount_cents,
                "currency": txn.currency,
                "location_id": txn.location_id,
                "occurred_at": txn.occurred_at,
                "version_key": txn.version_key,
            }
        )
        if held is not None and held.customer_id:
            affected.add(held.customer_id)
        if txn.customer_id:
            affected.add(txn.customer_id)
            named.add(txn.customer_id)
    for part in chunks(rows):
        insert = insert_for(session)(CT)
        session.execute(
            insert.on_conflict_do_update(
                index_elements=["merchant_id", "transaction_id"],
                set_={c: insert.excluded[c] for c in part[0] if c not in ("merchant_id", "transaction_id")},
            ),
            list(part),
        )
    return affected, named, current


def _apply_card_uses(
    session: Session, merchant_id: str, seen: Sequence[_Seen], current: dict[str, _State]
) -> set[str]:
    """Every version's tenders, forward-only per tender (as the canonical writer keeps them), each
    attributed to its transaction's current customer, location and time; returns fingerprints touched.
    Cash tenders are kept too (no fingerprint): their version is what keeps a late, older card
    version of the same tender from counting."""
    held: dict[tuple[str, str], Any] = {}
    for part in chunks(sorted(current)):
        for row in session.execute(
            select(USES).where(USES.c.merchant_id == merchant_id, USES.c.transaction_id.in_(part))
        ):
            held[(row.transaction_id, row.tender_no)] = row
    newest: dict[tuple[str, str], Tender] = {}
    for s in seen:
        for tender in s.tenders:
            key = (s.transaction.id, tender.tender_no)
            rival = newest.get(key) or held.get(key)
            if rival is None or rival.version_key <= tender.version_key:
                newest[key] = tender
    touched: set[str] = set()
    upserts: list[dict[str, Any]] = []
    for (txn_id, tender_no), tender in newest.items():
        state, old = current[txn_id], held.get((txn_id, tender_no))
        touched.update(
            fp for fp in (old.fingerprint if old is not None else None, tender.card_fingerprint) if fp
        )
        upserts.append(
            {
                "merchant_id": merchant_id,
                "transaction_id": txn_id,
                "tender_no": tender_no,
                "fingerprint": tender.card_fingerprint,
                "card_brand": tender.card_brand,
                "customer_id": state.customer_id,
                "location_id": state.location_id,
                "amount_cents": tender.amount_cents,
                "currency": tender.currency,
                "occurred_at": tender.occurred_at or state.occurred_at,
                "tender_occurred_at": tender.occurred_at,
                "version_key": tender.version_key,
            }
        )
    for part in chunks(upserts):
        insert = insert_for(session)(USES)
        session.execute(
            insert.on_conflict_do_update(
                index_elements=["merchant_id", "transaction_id", "tender_no"],
                set_={
                    c: insert.excluded[c]
                    for c in part[0]
                    if c not in ("merchant_id", "transaction_id", "tender_no")
                },
            ),
            list(part),
        )
    # Uses this batch did not rewrite still follow their transaction's newest customer, location, time.
    for (txn_id, tender_no), use in held.items():
        state = current[txn_id]
        if (txn_id, tender_no) in newest or not state.applied:
            continue
        if use.fingerprint:
            touched.add(use.fingerprint)
        session.execute(
            update(USES)
            .where(
                USES.c.merchant_id == merchant_id,
                USES.c.transaction_id == txn_id,
                USES.c.tender_no == tender_no,
            )
            .values(
                customer_id=state.customer_id,
                location_id=state.location_id,
                occurred_at=func.coalesce(USES.c.tender_occurred_at, state.occurred_at),
            )
        )
    return touched


def named_customers(facts: dict[str, Any]) -> set[str]:
    """Customer ids an event's facts name: ``customer.id`` and any record's ``customer_id``."""
    found: set[str] = set()
    customer = facts.get("customer")
    if isinstance(customer, dict) and isinstance(customer.get("id"), str):
        found.add(customer["id"])
    for value in facts.values():
        for record in value if isinstance(value, list) else [value]:
            if isinstance(record, dict) and isinstance(record.get("customer_id"), str):
                found.add(record["customer_id"])
    return found


def _record_evidence(session: Session, merchant_id: str, events: Iterable[ParsedEvent]) -> None:
    rows = [
        {"merchant_id": merchant_id, "customer_id": customer_id, "seq": event.evidence_seq}
        for event in events
        for customer_id in sorted(named_customers(event.facts))
    ]
    table = CustomerEvidence.__table__  # type: ignore[attr-defined]
    for part in chunks(rows):
        session.execute(insert_for(session)(table).on_conflict_do_nothing(), list(part))


def _erased_seqs(session: Session, merchant_id: str, seqs: set[int]) -> set[int]:
    found: set[int] = set()
    for part in chunks(sorted(seqs)):
        found.update(
            session.execute(
                select(col(EvidenceRecord.seq))
                .join(
                    InboxEntry,
                    (col(InboxEntry.merchant_id) == col(EvidenceRecord.merchant_id))
                    & (col(InboxEntry.id) == col(EvidenceRecord.inbox_id)),
                )
                .where(
                    col(EvidenceRecord.merchant_id) == merchant_id,
                    col(EvidenceRecord.seq).in_(part),
                    col(InboxEntry.erased_at).is_not(None),
                )
            ).scalars()
        )
    return found
