"""Bubble's observations on generated tills, on SQLite and on Postgres (as the application role, RLS on):
the consumer's device-hours equal a rebuild from the canonical tables, whatever the batching,
redelivery and arrival order, and equal the counts worked out by hand."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from core.bubble.service.observations import BubbleObservations, rebuild, snapshot
from core.clock import FixedClock
from core.db.tables.bubble import BubbleDeviceHour
from core.db.tables.ledger import ProcessedMessage
from core.db.tables.tenants import Merchant
from core.db.uow import Database
from core.domain.parsing import ParsedEvent
from core.domain.records import Canonical, version_key
from core.domain.sales import Tender, Transaction
from core.storage.canonical_writer import write_records

CLOCK = FixedClock(datetime(2027, 1, 1, tzinfo=UTC))
START = datetime(2026, 3, 2, 9, tzinfo=UTC)
TYPES = ["SALE"] * 10 + ["REFUND"] * 2 + ["VOID", "POST_VOID", "EXCHANGE", "NO_SALE", "PAID_IN"]
STATUSES = ["COMPLETED"] * 8 + ["VOIDED", "PENDING"]
PROPERTY = settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@dataclass
class Till:
    merchant_id: str
    emitted: list[tuple[int, list[Canonical], ParsedEvent]] = field(default_factory=list)

    @property
    def events(self) -> list[ParsedEvent]:
        return [e for _, _, e in self.emitted]


def _merchant(db: Database) -> str:
    merchant_id = f"m_{uuid.uuid4().hex[:12]}"
    with db.tenant(merchant_id) as session:
        session.add(Merchant(id=merchant_id, name="Greenleaf Garden Center"))
    return merchant_id


def _version(rng: random.Random, n: int, version: int, when: datetime) -> Transaction:
    type_ = rng.choice(TYPES)
    device = f"sq:device:D{rng.randrange(4)}" if rng.random() < 0.9 else None  # some name no device
    return Transaction(
        id=f"sq:order:T{n:05d}",
        type=type_,
        status=rng.choice(STATUSES),
        source="SQUARE",
        source_type="WEBHOOK",
        external_id=f"T{n:05d}",
        location_id=f"sq:location:L{rng.randrange(2)}",
        device_id=device,
        employee_id=f"sq:employee:E{rng.randrange(5)}" if rng.random() < 0.9 else None,
        amount_cents=rng.randrange(0, 20_000),
        occurred_at=when,
        version_key=version_key(when, version),
    )


def _till(db: Database, seed: int, transactions: int) -> Till:
    """Transactions over a few days on four devices; some updated (another device, hour or type),
    some of those with the old version arriving again late."""
    rng = random.Random(seed)
    till = Till(_merchant(db))
    seq = 0
    for n in range(transactions):
        when = START + timedelta(minutes=rng.randrange(0, 3 * 24 * 60), seconds=rng.randrange(60))
        versions = [_version(rng, n, 1, when)]
        if rng.random() < 0.3:
            versions.append(_version(rng, n, 2, when + timedelta(minutes=rng.randrange(0, 180))))
            if rng.random() < 0.5:
                versions.append(versions[0])
        for txn in versions:
            tenders = [
                Tender(
                    transaction_id=txn.id,
                    tender_no=f"P{i}",
                    tender_type=rng.choice(["CASH", "CARD", "CARD"]),
                    amount_cents=txn.amount_cents,
                    version_key=txn.version_key,
                )
                for i in range(rng.randrange(0, 3))
            ]
            seq += 1
            facts: dict[str, Any] = {
                "transaction": txn.model_dump(mode="json"),
                "tenders": [t.model_dump(mode="json") for t in tenders],
            }
            event = ParsedEvent(
                merchant_id=till.merchant_id,
                evidence_seq=seq,
                source="SQUARE",
                source_type="WEBHOOK",
                kind="transaction",
                entity_id=txn.id,
                occurred_at=txn.occurred_at,
                facts=facts,
            )
            till.emitted.append((seq, [txn, *tenders], event))
    return till


def _deliver(db: Database, till: Till, seed: int, *, shuffle: bool = False) -> None:
    """What parse and the bus do: each event's records are written (forward-only) before the event is
    delivered, in random batches with redeliveries; ``shuffle`` delivers a batch out of order."""
    rng = random.Random(seed)
    consumer = BubbleObservations(db, CLOCK)
    i = 0
    while i < len(till.emitted):
        size = rng.randrange(1, 20)
        part = till.emitted[i : i + size]
        with db.tenant(till.merchant_id) as session:
            for seq, records, _ in part:
                write_records(session, till.merchant_id, seq, records)
        batch = [e for _, _, e in part] + [rng.choice(till.events[: i + size]) for _ in range(size // 4)]
        if shuffle:
            rng.shuffle(batch)
        consumer.process(till.merchant_id, batch)
        i += size


@PROPERTY
@given(seed=st.integers(0, 10_000), transactions=st.integers(5, 120), shuffle=st.booleans())
def test_rebuilding_from_the_canonical_tables_gives_identical_rows(
    any_db: Database, seed: int, transactions: int, shuffle: bool
) -> None:
    till = _till(any_db, seed, transactions)
    _deliver(any_db, till, seed, shuffle=shuffle)
    streamed = snapshot(any_db, till.merchant_id)
    assert streamed["device_hours"], "the generated till should have device-hours"
    summary = rebuild(any_db, till.merchant_id)
    assert snapshot(any_db, till.merchant_id) == streamed
    assert summary.device_hours == len(streamed["device_hours"])


def test_a_duplicate_delivery_changes_nothing(any_db: Database) -> None:
    till = _till(any_db, 3, 60)
    _deliver(any_db, till, 3)
    before = snapshot(any_db, till.merchant_id)
    with any_db.tenant(till.merchant_id) as s:
        keys = s.exec(select(func.count()).select_from(ProcessedMessage)).one()
    summary = BubbleObservations(any_db, CLOCK).process(till.merchant_id, till.events)
    assert (summary.duplicates, summary.device_hours) == (len(till.events), 0)
    assert snapshot(any_db, till.merchant_id) == before
    with any_db.tenant(till.merchant_id) as s:
        assert s.exec(select(func.count()).select_from(ProcessedMessage)).one() == keys


def _txn(
    n: int, minute: int, type_: str = "SALE", *, device: str | None = "sq:device:A", **kw: Any
) -> Transaction:
    when = START + timedelta(minutes=minute)
    return Transaction(
        id=f"sq:order:H{n}",
        type=type_,
        source="SQUARE",
        source_type="WEBHOOK",
        external_id=f"H{n}",
        location_id="sq:location:L1",
        device_id=device,
        occurred_at=when,
        version_key=version_key(when, kw.pop("version", 1)),
        **kw,
    )


def _feed(db: Database, merchant_id: str, records: list[list[Canonical]]) -> None:
    consumer = BubbleObservations(db, CLOCK)
    for seq, recs in enumerate(records, start=1):
        with db.tenant(merchant_id) as session:
            write_records(session, merchant_id, seq, recs)
        txn = recs[0]
        assert isinstance(txn, Transaction)
        event = ParsedEvent(
            merchant_id=merchant_id,
            evidence_seq=seq,
            source="SQUARE",
            source_type="WEBHOOK",
            kind="transaction",
            entity_id=txn.id,
            occurred_at=txn.occurred_at,
            facts={"transaction": txn.model_dump(mode="json")},
        )
        consumer.process(merchant_id, [event])


def _hours(db: Database, merchant_id: str) -> list[BubbleDeviceHour]:
    with db.tenant(merchant_id) as s:
        rows = s.exec(select(BubbleDeviceHour).order_by(BubbleDeviceHour.hour)).all()  # type: ignore[arg-type]
        return [BubbleDeviceHour.model_validate(r.model_dump()) for r in rows]


def test_an_hour_is_counted_as_docs_bubble_md_says(any_db: Database) -> None:
    m = _merchant(any_db)
    cash = Tender(transaction_id="sq:order:H1", tender_no="P1", tender_type="CASH", version_key="0")
    _feed(
        any_db,
        m,
        [
            [_txn(1, 0, amount_cents=1_000, employee_id="sq:employee:E1"), cash],
            [_txn(2, 10, amount_cents=2_500, employee_id="sq:employee:E1")],
            [_txn(3, 20, "VOID", amount_cents=900, employee_id="sq:employee:E2")],
            [_txn(4, 40, "REFUND", amount_cents=500)],
            [_txn(5, 45, "NO_SALE", employee_id="sq:employee:E3")],
            [_txn(6, 50, "SALE", device=None, amount_cents=7_000)],  # no device: not in any hour
        ],
    )
    [hour] = _hours(any_db, m)
    assert (hour.device_id, hour.hour, hour.store_id) == ("sq:device:A", START, "sq:location:L1")
    assert (hour.transactions, hour.amount_cents, hour.voids, hour.refunds) == (4, 3_500, 1, 1)
    assert (hour.no_sales, hour.cash_tenders, hour.distinct_employees) == (1, 1, 3)
    assert hour.gap_minutes_mean == 13.3333  # tickets at :00, :10, :20, :40: 40 min / 3 gaps
    assert hour.network_events is None


def test_a_newer_version_moves_a_transaction_and_both_hours_follow(any_db: Database) -> None:
    m = _merchant(any_db)
    _feed(any_db, m, [[_txn(1, 5)], [_txn(2, 15)], [_txn(1, 70, version=2)], [_txn(1, 5)]])  # last: stale
    hours = _hours(any_db, m)
    assert [(h.hour, h.transactions) for h in hours] == [(START, 1), (START + timedelta(hours=1), 1)]
    _feed(any_db, m, [[_txn(2, 15, device="sq:device:B", version=3)]])
    assert [(h.device_id, h.hour) for h in _hours(any_db, m)] == [
        ("sq:device:B", START),
        ("sq:device:A", START + timedelta(hours=1)),
    ]
