"""R's projection on generated shops, on SQLite and on Postgres (as the application role, RLS on)."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import col, func, select

from core.bus.memory import InProcessBus
from core.bus.port import PARSED_EVENTS
from core.clock import FixedClock
from core.customers.projection import CustomerProjection
from core.customers.rebuild import projection_snapshot, rebuild
from core.db.tables.customers import CardProfile, Customer
from core.db.tables.ledger import ProcessedMessage
from core.db.uow import Database
from core.domain.records import version_key
from core.domain.sales import Tender, Transaction
from core.workers.runner import WorkerRunner
from tests.integration.customers import world as w

CLOCK = FixedClock(datetime(2027, 1, 1, tzinfo=UTC))
SHOPS = st.tuples(st.integers(0, 10_000), st.integers(2, 15), st.integers(1, 80), st.integers(1, 6))
PROPERTY = settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _shop(db: Database, seed: int, customers: int, transactions: int, cards: int) -> w.World:
    world = w.generate(seed, w.new_merchant(db), customers=customers, transactions=transactions, cards=cards)
    w.write_canonical(db, world)
    w.project(db, world, seed=seed)
    return world


@PROPERTY
@given(shop=SHOPS)
def test_net_lifetime_value_counts_and_first_last_seen_match_a_direct_sql_computation(
    any_db: Database, shop: tuple[int, int, int, int]
) -> None:
    world = _shop(any_db, *shop)
    assert w.projected_totals(any_db, world.merchant_id) == w.direct_totals(any_db, world.merchant_id)


@PROPERTY
@given(shop=SHOPS)
def test_rebuilding_from_the_canonical_tables_gives_identical_rows(
    any_db: Database, shop: tuple[int, int, int, int]
) -> None:
    world = _shop(any_db, *shop)
    streamed = projection_snapshot(any_db, world.merchant_id)
    rebuild(any_db, CLOCK, world.merchant_id)
    assert projection_snapshot(any_db, world.merchant_id) == streamed
    assert streamed["customer_transactions"], "the generated shop should have transactions"


def test_a_duplicate_delivery_changes_nothing(any_db: Database) -> None:
    world = _shop(any_db, 7, 10, 60, 4)
    before = projection_snapshot(any_db, world.merchant_id)
    with any_db.tenant(world.merchant_id) as s:
        keys = s.exec(select(func.count()).select_from(ProcessedMessage)).one()
    summary = CustomerProjection(any_db, CLOCK).process(world.merchant_id, world.events)
    assert (summary.duplicates, summary.transactions) == (len(world.events), 0)
    assert projection_snapshot(any_db, world.merchant_id) == before
    with any_db.tenant(world.merchant_id) as s:
        assert s.exec(select(func.count()).select_from(ProcessedMessage)).one() == keys


def _sale(
    txn_id: str,
    customer: str | None,
    cents: int,
    *,
    version: int = 1,
    fingerprint: str | None = None,
    location: str = "sq:location:L1",
    day: int = 1,
) -> dict[str, object]:
    when = datetime(2026, 5, day, 12, tzinfo=UTC)
    txn = Transaction(
        id=txn_id,
        type="SALE",
        source="SQUARE",
        source_type="WEBHOOK",
        external_id=txn_id,
        customer_id=customer,
        amount_cents=cents,
        occurred_at=when,
        location_id=location,
        version_key=version_key(when, version),
    )
    tenders = (
        [
            Tender(
                transaction_id=txn_id,
                tender_no="P1",
                tender_type="CARD",
                amount_cents=cents,
                card_fingerprint=fingerprint,
                version_key=txn.version_key,
            )
        ]
        if fingerprint
        else []
    )
    return {
        "transaction": txn.model_dump(mode="json"),
        "tenders": [t.model_dump(mode="json") for t in tenders],
    }


def _event(merchant_id: str, seq: int, facts: dict[str, object]) -> w.ParsedEvent:
    txn = facts["transaction"]
    assert isinstance(txn, dict)
    return w.ParsedEvent(
        merchant_id=merchant_id,
        evidence_seq=seq,
        source="SQUARE",
        source_type="WEBHOOK",
        kind="transaction",
        entity_id=txn["id"],
        facts=facts,
    )


def test_a_transaction_naming_an_unknown_customer_adds_them_to_the_registry(any_db: Database) -> None:
    merchant = w.new_merchant(any_db)
    CustomerProjection(any_db, CLOCK).process(
        merchant, [_event(merchant, 1, _sale("t1", "sq:customer:NEW1", 1250))]
    )
    with any_db.tenant(merchant) as s:
        customer = s.get(Customer, (merchant, "sq:customer:NEW1"))
    assert customer is not None
    assert (customer.source, customer.external_id, customer.db_status) == ("SQUARE", "NEW1", "active")
    assert (customer.lifetime_value_cents, customer.transaction_count) == (1250, 1)


def test_an_archived_customer_named_again_is_reactivated_not_duplicated(any_db: Database) -> None:
    merchant = w.new_merchant(any_db)
    projection = CustomerProjection(any_db, CLOCK)
    projection.process(merchant, [_event(merchant, 1, _sale("t1", "sq:customer:C1", 500))])
    with any_db.tenant(merchant) as s:
        row = s.get(Customer, (merchant, "sq:customer:C1"))
        assert row is not None
        row.db_status, row.archived_at = "archived", datetime(2026, 6, 1, tzinfo=UTC)
        s.add(row)
    projection.process(merchant, [_event(merchant, 2, _sale("t2", "sq:customer:C1", 700, day=9))])
    with any_db.tenant(merchant) as s:
        rows = s.exec(select(Customer).where(col(Customer.external_id) == "C1")).all()
    assert len(rows) == 1
    assert (rows[0].db_status, rows[0].archived_at, rows[0].valid_from) == ("active", None, CLOCK.now())
    assert rows[0].lifetime_value_cents == 1200


def test_an_updated_transaction_moves_its_money_to_the_new_customer(any_db: Database) -> None:
    merchant = w.new_merchant(any_db)
    projection = CustomerProjection(any_db, CLOCK)
    projection.process(merchant, [_event(merchant, 1, _sale("t1", "sq:customer:A", 900))])
    projection.process(merchant, [_event(merchant, 2, _sale("t1", "sq:customer:B", 900, version=2))])
    projection.process(
        merchant, [_event(merchant, 3, _sale("t1", "sq:customer:A", 900, version=1))]
    )  # stale, late
    with any_db.tenant(merchant) as s:
        a, b = s.get(Customer, (merchant, "sq:customer:A")), s.get(Customer, (merchant, "sq:customer:B"))
    assert a is not None
    assert b is not None
    assert (a.lifetime_value_cents, a.transaction_count, a.first_seen_at) == (0, 0, None)
    assert (b.lifetime_value_cents, b.transaction_count) == (900, 1)


def test_a_card_profile_counts_uses_distinct_customers_and_distinct_locations(any_db: Database) -> None:
    merchant = w.new_merchant(any_db)
    events = [
        _event(
            merchant,
            1,
            _sale("t1", "sq:customer:A", 100, fingerprint="fp-9", location="sq:location:L1", day=1),
        ),
        _event(
            merchant,
            2,
            _sale("t2", "sq:customer:B", 100, fingerprint="fp-9", location="sq:location:L2", day=3),
        ),
        _event(
            merchant,
            3,
            _sale("t3", "sq:customer:A", 100, fingerprint="fp-9", location="sq:location:L2", day=5),
        ),
        _event(merchant, 4, _sale("t4", None, 100, fingerprint="fp-9", location="sq:location:L3", day=7)),
    ]
    CustomerProjection(any_db, CLOCK).process(merchant, events)
    with any_db.tenant(merchant) as s:
        card = s.get(CardProfile, (merchant, "fp-9"))
    assert card is not None
    assert (card.use_count, card.customer_count, card.location_count) == (4, 2, 3)
    assert (card.first_seen_at, card.last_seen_at) == (
        datetime(2026, 5, 1, 12, tzinfo=UTC),
        datetime(2026, 5, 7, 12, tzinfo=UTC),
    )


def test_the_stage_consumes_the_detection_stream_under_the_worker_runner(any_db: Database) -> None:
    world = w.generate(3, w.new_merchant(any_db), customers=6, transactions=25)
    w.write_canonical(any_db, world)
    bus = InProcessBus()
    for event in world.events:  # the fields parse publishes
        bus.publish(
            PARSED_EVENTS,
            {
                "merchant_id": event.merchant_id,
                "seq": str(event.evidence_seq),
                "kind": event.kind,
                "event": event.model_dump_json(),
            },
        )
    stage = CustomerProjection(any_db, CLOCK)
    assert (stage.name, stage.stream, stage.group) == ("customers", "detection", "customers")
    runner = WorkerRunner(bus, stage, consumer="customers-test", batch_size=7, block_ms=0)
    assert runner.run_until_idle() == len(world.events)
    assert (runner.failed, runner.dead_lettered) == (0, 0)
    assert w.projected_totals(any_db, world.merchant_id) == w.direct_totals(any_db, world.merchant_id)
