"""A seeded shop: canonical transactions as T would write them, and the parsed events parse would
publish for them — including updated versions, stale versions arriving late, re-attributed sales,
anonymous sales, card tenders shared between customers, and a second currency."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from core.customers.projection import CustomerProjection
from core.db.tables.tenants import Merchant
from core.db.uow import Database
from core.domain.parsing import ParsedEvent
from core.domain.parties import CustomerRecord
from core.domain.records import Canonical, version_key
from core.domain.sales import LineItem, RefundLink, Tender, Transaction
from core.storage.canonical_writer import write_records

START = datetime(2026, 1, 1, tzinfo=UTC)
TYPES = ["SALE"] * 12 + ["REFUND"] * 3 + ["VOID", "EXCHANGE", "NO_SALE", "POST_VOID"]
STATUSES = ["COMPLETED"] * 8 + ["PENDING", "VOIDED"]
REASONS = ["damaged", "wrong size", "changed mind", None]


@dataclass
class Emitted:
    seq: int
    records: list[Canonical]
    event: ParsedEvent


@dataclass
class World:
    merchant_id: str
    emitted: list[Emitted] = field(default_factory=list)

    @property
    def events(self) -> list[ParsedEvent]:
        return [e.event for e in self.emitted]


def new_merchant(db: Database) -> str:
    merchant_id = f"m_{uuid.uuid4().hex[:12]}"
    with db.tenant(merchant_id) as session:
        session.add(Merchant(id=merchant_id, name="Greenleaf Garden Center"))
    return merchant_id


def customer_id(n: int) -> str:
    return f"sq:customer:CUST{n:05d}"


def _transaction(rng: random.Random, n: int, customers: int, when: datetime, version: int) -> Transaction:
    type_ = rng.choice(TYPES)
    return Transaction(
        id=f"sq:order:T{n:06d}",
        type=type_,
        status=rng.choice(STATUSES),
        source="SQUARE",
        source_type="WEBHOOK",
        external_id=f"T{n:06d}",
        location_id=f"sq:location:L{rng.randrange(3)}",
        customer_id=customer_id(rng.randrange(customers)) if rng.random() < 0.8 else None,
        currency="CAD" if rng.random() < 0.03 else "USD",
        amount_cents=rng.randrange(0, 50_000),
        reason=rng.choice(REASONS) if type_ == "REFUND" else None,
        occurred_at=when,
        version_key=version_key(when, version),
        employee_id=f"sq:employee:E{rng.randrange(4)}",
    )


def _children(rng: random.Random, txn: Transaction, cards: int) -> tuple[list[LineItem], list[Tender]]:
    lines = [
        LineItem(
            transaction_id=txn.id,
            line_no=str(i),
            item_id=f"ITEM{rng.randrange(50)}",
            description="Fern \u202e",
            quantity=1.0,
            unit_price_cents=txn.amount_cents,
            extended_price_cents=txn.amount_cents,
            version_key=txn.version_key,
        )
        for i in range(rng.randrange(1, 4))
    ]
    tenders = [
        Tender(
            transaction_id=txn.id,
            tender_no=f"P{i}",
            tender_type="CARD" if card else "CASH",
            amount_cents=txn.amount_cents,
            card_fingerprint=f"sq-fp-{rng.randrange(cards)}" if card else None,
            card_brand="VISA" if card else None,
            version_key=txn.version_key,
            currency=txn.currency,
        )
        for i, card in enumerate(rng.random() < 0.7 for _ in range(rng.randrange(1, 3)))
    ]
    return lines, tenders


def generate(
    seed: int, merchant_id: str, *, customers: int = 12, transactions: int = 60, cards: int = 8
) -> World:
    """Each transaction is emitted once, and some again: an update (new version, possibly another
    customer or status), and sometimes the old version again after it (late, stale)."""
    rng = random.Random(seed)
    world = World(merchant_id)
    seq = 0

    def emit(
        records: list[Canonical], facts: dict[str, Any], txn: Transaction | None, kind: str, entity: str
    ) -> None:
        nonlocal seq
        seq += 1
        world.emitted.append(
            Emitted(
                seq,
                records,
                ParsedEvent(
                    merchant_id=merchant_id,
                    evidence_seq=seq,
                    source="SQUARE",
                    source_type="WEBHOOK",
                    kind=kind,
                    entity_id=entity,
                    occurred_at=txn.occurred_at if txn else None,
                    facts=facts,
                ),
            )
        )

    for n in range(customers // 2):  # half the customers arrive as vendor records first
        record = CustomerRecord(id=customer_id(n), source="SQUARE", external_id=f"CUST{n:05d}", tier="retail")
        emit([record], {"customer": record.model_dump(mode="json")}, None, "customer", record.id)
    for n in range(transactions):
        when = START + timedelta(minutes=rng.randrange(0, 365 * 24 * 60))
        versions = [_transaction(rng, n, customers, when, 1)]
        if rng.random() < 0.3:
            newer = _transaction(rng, n, customers, when + timedelta(minutes=rng.randrange(0, 600)), 2)
            versions.append(newer)
            if rng.random() < 0.5:
                versions.append(versions[0])  # the old version again, late
        for txn in versions:
            lines, tenders = _children(rng, txn, cards)
            records: list[Canonical] = [txn, *lines, *tenders]
            if txn.type == "REFUND":
                records.append(
                    RefundLink(
                        refund_transaction_id=txn.id,
                        original_transaction_id=None,
                        reason=txn.reason,
                        version_key=txn.version_key,
                    )
                )
            facts = {
                "transaction": txn.model_dump(mode="json"),
                "line_items": [li.model_dump(mode="json") for li in lines],
                "tenders": [t.model_dump(mode="json") for t in tenders],
            }
            emit(records, facts, txn, "transaction", txn.id)
    return world


def write_canonical(db: Database, world: World) -> None:
    """What parse does with each event's records (forward-only upserts, evidence seq recorded)."""
    with db.tenant(world.merchant_id) as session:
        for e in world.emitted:
            write_records(session, world.merchant_id, e.seq, e.records)


def project(db: Database, world: World, *, seed: int, duplicates: float = 0.2) -> CustomerProjection:
    """Deliver the world's events in random batch sizes, redelivering some (at-least-once)."""
    from core.clock import FixedClock

    rng = random.Random(seed)
    projection = CustomerProjection(db, FixedClock(datetime(2027, 1, 1, tzinfo=UTC)))
    events = world.events
    i = 0
    while i < len(events):
        size = rng.randrange(1, 25)
        batch: list[ParsedEvent] = list(events[i : i + size])
        batch += [rng.choice(events[: i + size]) for _ in range(int(size * duplicates))]
        projection.process(world.merchant_id, batch)
        i += size
    return projection


def direct_totals(db: Database, merchant_id: str) -> dict[str, tuple[Any, ...]]:
    """The oracle: the definitions applied by one GROUP BY over T's canonical transactions."""
    sql = text(
        """
        SELECT customer_id,
          SUM(CASE WHEN type = 'SALE' AND status = 'COMPLETED' THEN amount_cents ELSE 0 END),
          SUM(CASE WHEN type = 'REFUND' AND status = 'COMPLETED' THEN amount_cents ELSE 0 END),
          SUM(CASE WHEN type = 'SALE' AND status = 'COMPLETED' THEN 1 ELSE 0 END),
          MIN(occurred_at), MAX(occurred_at)
        FROM {table} WHERE merchant_id = :m AND customer_id IS NOT NULL GROUP BY customer_id
    """.format(table=qualified(db, "sales.transactions"))
    )
    with db.tenant(merchant_id) as session:
        rows = session.execute(sql, {"m": merchant_id}).all()
    return {
        r[0]: (int(r[1]), int(r[2]), int(r[1]) - int(r[2]), int(r[3]), _utc(r[4]), _utc(r[5])) for r in rows
    }


def projected_totals(db: Database, merchant_id: str) -> dict[str, tuple[Any, ...]]:
    sql = text(
        """
        SELECT id, lifetime_value_cents, refunds_cents, lifetime_value_net_cents, transaction_count,
               first_seen_at, last_seen_at
        FROM {table} WHERE merchant_id = :m AND first_seen_at IS NOT NULL
    """.format(table=qualified(db, "app.customers"))
    )
    with db.tenant(merchant_id) as session:
        rows = session.execute(sql, {"m": merchant_id}).all()
    return {r[0]: (r[1], r[2], r[3], r[4], _utc(r[5]), _utc(r[6])) for r in rows}


def qualified(db: Database, name: str) -> str:
    """SQLite has no schemas (the engine maps them away for ORM tables; hand-written SQL must too)."""
    return name if db.is_postgres else name.split(".", 1)[1]


def _utc(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def seqs(world: World, *, customer: str) -> Sequence[int]:
    return [e.seq for e in world.emitted if customer in str(e.event.facts)]
