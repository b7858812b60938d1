"""The parse stage writes a batch at once: the same rows as event by event, and one bad write
costs only its own event."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
from sqlalchemy import Table
from sqlmodel import SQLModel, select
from starlette.testclient import TestClient

import core.pipeline.parse as parse_module
from core.bootstrap import Container
from core.bus.port import PARSED_EVENTS
from core.db.tables.ledger import IngestionLogEntry
from core.db.tables.sales import TransactionRow
from core.pipeline.workers import drain
from core.storage.canonical_writer import UpsertGroup
from tests.support.pipeline import new_merchant, post, webhook

Canary = tuple[Container, TestClient]


def order_of(payment_id: str) -> str:
    return f"ORDER_{payment_id}"  # a sale is keyed by its order


def payment(payment_id: str) -> Callable[[dict[str, Any]], None]:
    def edit(body: dict[str, Any]) -> None:
        body["data"]["id"] = body["data"]["object"]["payment"]["id"] = payment_id
        body["data"]["object"]["payment"]["order_id"] = order_of(payment_id)

    return edit


def canonical_tables() -> list[Table]:
    return [
        t
        for t in SQLModel.metadata.tables.values()
        if {"merchant_id", "evidence_seq", "version_key"} <= set(t.c.keys())
    ]


def canonical_state(container: Container, merchant: str) -> dict[str, list[dict[str, Any]]]:
    """Every canonical row of the merchant, without the merchant id, in a stable order."""
    state: dict[str, list[dict[str, Any]]] = {}
    with container.db.tenant(merchant) as s:
        for table in canonical_tables():
            rows = [
                dict(r._mapping) for r in s.execute(table.select().where(table.c.merchant_id == merchant))
            ]
            for row in rows:
                del row["merchant_id"]
            if rows:
                state[table.name] = sorted(rows, key=repr)
    return state


def statuses(container: Container, merchant: str) -> dict[int, tuple[str, str | None]]:
    with container.db.tenant(merchant) as s:
        entries = s.exec(select(IngestionLogEntry).where(IngestionLogEntry.merchant_id == merchant)).all()
        return {e.seq: (e.status, e.reason) for e in entries}


def detection_seqs(container: Container, merchant: str) -> list[int]:
    container.bus.ensure_group(PARSED_EVENTS, "test-reader")
    messages = container.bus.read(PARSED_EVENTS, "test-reader", "t", count=1000, block_ms=0)
    return [int(m.fields["seq"]) for m in messages if m.fields["merchant_id"] == merchant]


# Payment A arrives in order (created, then updated); payment B's update overtakes its creation.
DELIVERIES = [
    ("payment.created", "PAY_A"),
    ("payment.updated", "PAY_A"),
    ("payment.updated", "PAY_B"),
    ("payment.created", "PAY_B"),
]


def test_events_of_one_batch_on_the_same_key_leave_what_event_by_event_parsing_leaves(
    canary: Canary,
) -> None:
    container, client = canary
    batched, _ = new_merchant(container)
    one_by_one, _ = new_merchant(container)
    batched_url = f"https://canary.example.com/webhooks/square?merchant={batched}"
    one_by_one_url = f"https://canary.example.com/webhooks/square?merchant={one_by_one}"
    for name, payment_id in DELIVERIES:
        assert post(client, batched_url, webhook(name, mutate=payment(payment_id))).status_code == 200
    drain(container.pipeline)  # one parse batch of four
    for name, payment_id in DELIVERIES:
        assert post(client, one_by_one_url, webhook(name, mutate=payment(payment_id))).status_code == 200
        drain(container.pipeline)  # a batch of one each time

    state = canonical_state(container, batched)
    assert state == canonical_state(container, one_by_one)
    with container.db.tenant(batched) as s:
        rows = s.exec(select(TransactionRow).where(TransactionRow.merchant_id == batched)).all()
        sales = {r.external_id: r for r in rows}
    # The newest version wins, carrying the seq of the event that wrote it: seq 2 for A, and for B
    # its update (seq 3), which the older creation after it (seq 4) must not overwrite.
    assert {k: (v.status, v.evidence_seq) for k, v in sales.items()} == {
        order_of("PAY_A"): ("COMPLETED", 2),
        order_of("PAY_B"): ("COMPLETED", 3),
    }
    assert statuses(container, batched) == dict.fromkeys((1, 2, 3, 4), ("parsed", None))


def test_a_write_the_database_refuses_fails_only_its_own_event(
    canary: Canary, monkeypatch: pytest.MonkeyPatch
) -> None:
    container, client = canary
    merchant, url = new_merchant(container)
    real_write_plans = parse_module.write_plans

    def break_pay_c(session: Any, plans: Sequence[Sequence[UpsertGroup]]) -> None:
        # A NOT NULL violation the database itself reports, for every row of PAY_C's sale.
        for plan in plans:
            for group in plan:
                for row in group.rows:
                    if row.get("external_id") == order_of("PAY_C"):
                        row["external_id"] = None
        real_write_plans(session, plans)

    monkeypatch.setattr(parse_module, "write_plans", break_pay_c)
    for payment_id in ("PAY_A", "PAY_B", "PAY_C", "PAY_D"):
        assert post(client, url, webhook("payment.updated", mutate=payment(payment_id))).status_code == 200
    post(client, url, b"{not json")  # a parser error in the same batch, recorded as always
    drain(container.pipeline)

    logged = statuses(container, merchant)
    assert {seq: status for seq, (status, _) in logged.items()} == {
        1: "parsed",
        2: "parsed",
        3: "failed",
        4: "parsed",
        5: "failed",
    }
    reason = logged[3][1]
    assert reason is not None
    assert reason.startswith("IntegrityError")
    with container.db.tenant(merchant) as s:
        rows = s.exec(select(TransactionRow).where(TransactionRow.merchant_id == merchant)).all()
        written = sorted(r.external_id for r in rows)
    assert written == [order_of(p) for p in ("PAY_A", "PAY_B", "PAY_D")]
    assert "PAY_C" not in repr(canonical_state(container, merchant))  # none of its rows either
    assert detection_seqs(container, merchant) == [1, 2, 4]
