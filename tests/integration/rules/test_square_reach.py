"""Square rules fire from Square-shaped input through the public ways in, and their negative cases stay
quiet: a ticket split across three cards by three signed ``payment.created`` webhooks (Q-TM-03), and
``canary backfill square --file`` with orders, payments paired with their orders and a cash drawer
shift (Q-DM-01, Q-ME-02, Q-AT-01, and the drawer loaded). One world, built once for the module."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from starlette.testclient import TestClient
from typer.testing import CliRunner

from core.cli.main import app as canary
from core.db.tables.sales import DrawerEventRow, DrawerShiftRow
from core.ingest.backfill import accept_all, square_file
from core.pipeline.workers import drain
from tests.support.pipeline import new_merchant, post, running_canary, settings_for, webhook

LOCATION = "L88JQ3E6VG5VQ"
API = Path(__file__).parents[2] / "fixtures" / "square" / "api_responses"
RULES = ("Q-TM-03", "Q-DM-01", "Q-ME-02", "Q-AT-01")


def money(cents: int) -> dict[str, Any]:
    return {"amount": cents, "currency": "USD"}


def order(
    order_id: str, lines: list[tuple[int, int]], *, version: int = 1, minute: int = 0
) -> dict[str, Any]:
    """A completed order; each line is (base price, discount) in cents, quantity 1."""
    total = sum(base - off for base, off in lines)
    stamp = f"2026-05-02T15:{minute:02d}:00Z"
    return {
        "id": order_id,
        "location_id": LOCATION,
        "state": "COMPLETED",
        "version": version,
        "created_at": "2026-05-02T15:00:00Z",
        "updated_at": stamp,
        "closed_at": "2026-05-02T15:00:30Z",
        "total_money": money(total),
        "total_tax_money": money(0),
        "total_discount_money": money(sum(off for _b, off in lines)),
        "line_items": [
            {
                "uid": f"{order_id}-l{n}",
                "name": f"Pot {n}",
                "catalog_object_id": f"ITEM{n}",
                "quantity": "1",
                "base_price_money": money(base),
                "gross_sales_money": money(base),
                "total_discount_money": money(off),
                "total_money": money(base - off),
            }
            for n, (base, off) in enumerate(lines)
        ],
    }


def payment(payment_id: str, order_id: str, cents: int, *, team: str, device: str) -> dict[str, Any]:
    return {
        "id": payment_id,
        "order_id": order_id,
        "location_id": LOCATION,
        "created_at": "2026-05-02T15:00:10Z",
        "updated_at": "2026-05-02T15:00:20Z",
        "status": "COMPLETED",
        "source_type": "CARD",
        "amount_money": money(cents),
        "total_money": money(cents),
        "team_member_id": team,
        "device_details": {"device_id": device},
        "card_details": {
            "status": "CAPTURED",
            "entry_method": "EMV",
            "card": {"card_brand": "VISA", "fingerprint": f"fp-{payment_id}"},
        },
    }


def _card_webhooks(client: TestClient, url: str, order_id: str, cards: int) -> None:
    for n in range(cards):
        pay = payment(f"{order_id}-p{n}", order_id, 3_000, team="TM-T", device="DEV-T")

        def edit(body: dict[str, Any], pay: dict[str, Any] = pay) -> None:
            body["data"]["object"]["payment"] = pay
            body["data"]["id"] = pay["id"]

        assert post(client, url, webhook("payment.created", mutate=edit)).status_code == 200


def _shift_line() -> dict[str, Any]:
    shift = json.loads((API / "RetrieveCashDrawerShiftResponse.json").read_text())["cash_drawer_shift"]
    events = json.loads((API / "ListCashDrawerShiftEventsResponse.json").read_text())[
        "cash_drawer_shift_events"
    ]
    return {"cash_drawer_shift": shift, "cash_drawer_shift_events": events, "location_id": LOCATION}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("square_reach")
    settings = settings_for(f"sqlite:///{tmp / 'canary.db'}", tmp, redis=False)
    with running_canary(settings) as (container, client):
        merchant, url = new_merchant(container)
        for rule_id in RULES:
            container.chirp_service.promote_rule(
                merchant, rule_id, "observation", actor="test", reason="end-to-end reach test", force=True
            )
        _card_webhooks(client, url, "O-TM1", 3)
        _card_webhooks(client, url, "O-TM2", 2)
        drain(container.pipeline)
        lines = [
            {"order": order("O-DM1", [(10_000, 6_000)])},
            {"order": order("O-DM2", [(10_000, 2_000)])},
            {
                "payment": payment("P-ME1", "O-ME1", 0, team="TM-A", device="DEV-A"),
                "order": order("O-ME1", [(1_500, 1_500)] * 3),
            },
            {
                "payment": payment("P-ME2", "O-ME2", 0, team="TM-B", device="DEV-B"),
                "order": order("O-ME2", [(1_500, 1_500)] * 2),
            },
            {"order": order("O-AT1", [(5_000, 0)])},
            {"order": order("O-AT1", [(3_000, 0)], version=2, minute=40)},
            {"order": order("O-AT2", [(5_000, 0)])},
            {"order": order("O-AT2", [(5_000, 0)], version=2, minute=40)},
            _shift_line(),
        ]
        path = tmp / "history.jsonl"
        path.write_text("".join(json.dumps(line) + "\n" for line in lines))
        env = {
            "CANARY_DATABASE_URL": settings.database_url.get_secret_value(),
            "CANARY_MASTER_KEY": settings.master_key.get_secret_value() if settings.master_key else "",
            "CANARY_LEDGER_SIGNING_KEY": settings.ledger_signing_key.get_secret_value()
            if settings.ledger_signing_key
            else "",
            "CANARY_VAR_DIR": str(tmp),
            "CANARY_WORKER_BLOCK_MS": "0",
        }
        runner = CliRunner()
        result = runner.invoke(canary, ["backfill", "square", "-m", merchant, "--file", str(path)], env=env)
        assert result.exit_code == 0, result.output
        unknown = runner.invoke(
            canary, ["backfill", "square", "-m", "m_nobody", "--file", str(path)], env=env
        )
        page = container.chirp_service.query_detections(merchant, limit=200)
        found = [
            container.chirp_service.get_detection_detail(merchant, d.detection_id)
            for d in page.items
            if not d.suppressed
        ]
        with container.db.tenant(merchant) as s:
            shifts = s.exec(select(DrawerShiftRow).where(DrawerShiftRow.merchant_id == merchant)).all()
            events = s.exec(select(DrawerEventRow).where(DrawerEventRow.merchant_id == merchant)).all()
        yield {
            "container": container,
            "merchant": merchant,
            "detections": [(d.detection.rule_id, d.entity_id) for d in found],
            "shifts": shifts,
            "drawer_events": events,
            "unknown": unknown,
        }


def _fired(world: dict[str, Any], rule_id: str) -> list[str]:
    return sorted(entity or "" for rule, entity in world["detections"] if rule == rule_id)


def test_a_ticket_split_across_three_card_webhooks_is_fragmented_and_two_cards_are_not(
    world: dict[str, Any],
) -> None:
    assert _fired(world, "Q-TM-03") == ["sq:order:O-TM1"]


def test_a_file_order_past_the_discount_ceiling_fires_and_a_modest_one_does_not(
    world: dict[str, Any],
) -> None:
    fired = _fired(world, "Q-DM-01")
    assert "sq:order:O-DM1" in fired
    assert "sq:order:O-DM2" not in fired


def test_three_comped_items_in_a_paired_payment_and_order_fire_and_two_do_not(world: dict[str, Any]) -> None:
    fired = _fired(world, "Q-ME-02")
    assert fired == ["sq:order:O-ME1"]


def test_a_completed_order_whose_amount_changes_in_a_later_version_fires_and_a_touch_does_not(
    world: dict[str, Any],
) -> None:
    assert _fired(world, "Q-AT-01") == ["sq:order:O-AT1"]


def test_a_cash_drawer_shift_and_its_events_load_from_the_file(world: dict[str, Any]) -> None:
    assert len(world["shifts"]) == 1
    assert world["shifts"][0].location_id == f"sq:location:{LOCATION}"
    assert len(world["drawer_events"]) >= 1


def test_backfill_refuses_an_unknown_merchant_with_exit_2(world: dict[str, Any]) -> None:
    assert world["unknown"].exit_code == 2
    assert "no merchant 'm_nobody': onboard it first (canary merchant add)" in world["unknown"].output


class _Orders:
    """A Square client that answers BatchRetrieveOrders from a dict (and counts the calls)."""

    def __init__(self, orders: dict[str, dict[str, Any]]) -> None:
        self.orders, self.calls = orders, 0

    def batch_get_orders(self, location_id: str | None, order_ids: list[str]) -> list[dict[str, Any]]:
        self.calls += 1
        return [self.orders[i] for i in order_ids if i in self.orders]


def test_with_a_square_client_stored_webhooks_get_their_orders_fetched(
    world: dict[str, Any], tmp_path: Path
) -> None:
    container, merchant = world["container"], world["merchant"]
    ticket = f"O-F{uuid.uuid4().hex[:6]}"
    bodies = []
    for n in range(3):
        pay = payment(f"{ticket}-p{n}", ticket, 1_000, team="TM-F", device="DEV-F")
        body = json.loads(webhook("payment.created"))
        body["data"]["object"]["payment"] = pay
        bodies.append(json.dumps(body))
    path = tmp_path / "webhooks.jsonl"
    path.write_text("\n".join(bodies) + "\n")
    api = _Orders({ticket: order(ticket, [(1_500, 1_500)] * 3)})

    result = accept_all(
        container.inbox, square_file(merchant, path, fetched_at=datetime.now(UTC), orders=api)
    )
    drain(container.pipeline)
    assert (result.accepted, api.calls) == (4, 1)  # three webhooks and one payment paired with its order
    page = container.chirp_service.query_detections(merchant, rule_id="Q-ME-02", limit=200)
    found = {
        container.chirp_service.get_detection_detail(merchant, d.detection_id).entity_id for d in page.items
    }
    assert f"sq:order:{ticket}" in found
