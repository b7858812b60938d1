"""Transfers, receivers, returns to vendor and adjustments from export rows (synthetic fixtures in
tests/fixtures/counterpoint/exports, shaped per docs/counterpoint.md)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.domain.parsing import Parsed
from core.domain.stock import (
    InventoryAdjustment,
    Receiver,
    ReceiverLine,
    ReturnToVendor,
    ReturnToVendorLine,
    Transfer,
    TransferLine,
    transfer_loss_by_route,
)

from .support import export_lines, of_type, one, run


def _all(name: str) -> list[Parsed]:
    return [run(line, source_type="BATCH") for line in export_lines(name)]


def test_transfer_loss_per_route_is_sent_minus_received() -> None:
    lines = [line for parsed in _all("transfers.jsonl") for line in of_type(parsed, TransferLine)]
    losses = transfer_loss_by_route(lines)
    assert set(losses) == {("MAIN", "20"), ("MAIN", "EAST")}
    main_20 = losses[("MAIN", "20")]
    assert (main_20.sent, main_20.received, main_20.lost) == (14.0, 12.0, 2.0)
    assert losses[("MAIN", "EAST")].lost == 0.0


def test_a_transfer_in_transit_counts_as_unreceived_on_its_route() -> None:
    sent_only = of_type(_all("transfers.jsonl")[2], TransferLine)
    assert transfer_loss_by_route(sent_only)[("MAIN", "EAST")].lost == 6.0


def test_the_two_sides_of_a_transfer_are_separate_records_that_cannot_overwrite_each_other() -> None:
    sent, received = (one(p, Transfer) for p in _all("transfers.jsonl")[:2])
    assert sent.id == "cp:transfer:MAIN:X1001:SENT"
    assert received.id == "cp:transfer:MAIN:X1001:RECEIVED"
    assert (sent.transfer_no, received.transfer_no) == ("X1001", "X1001")
    assert (sent.total_quantity, received.total_quantity) == (14.0, 12.0)
    # SHIP_DAT is read in the sending store's zone (MAIN: Chicago), RECVD_DAT in the receiving one's.
    assert sent.occurred_at == datetime(2024, 5, 2, 5, 0, tzinfo=UTC)
    assert received.occurred_at == datetime(2024, 5, 3, 4, 0, tzinfo=UTC)


def test_transfer_line_cost_uses_the_exported_extension_or_quantity_times_unit_cost() -> None:
    fern, mulch = of_type(_all("transfers.jsonl")[0], TransferLine)
    assert (fern.unit_cost_cents, fern.extended_cost_cents) == (625, 6250)
    assert (mulch.unit_cost_cents, mulch.extended_cost_cents) == (1225, 4900)
    assert one(_all("transfers.jsonl")[0], Transfer).total_cost_cents == 11150


def test_a_receiver_carries_each_line_against_its_purchase_order() -> None:
    parsed = _all("receivers.jsonl")[0]
    receiver = one(parsed, Receiver)
    assert (receiver.id, receiver.po_no, receiver.vendor_no, receiver.cash_paid) == (
        "cp:receiver:MAIN:R5001",
        "PO777",
        "GROWER1",
        False,
    )
    fern = next(line for line in of_type(parsed, ReceiverLine) if line.item_id == "FERN-1G")
    assert (fern.quantity_received, fern.po_quantity_ordered, fern.po_line_no, fern.po_no) == (
        45.0,
        50.0,
        "1",
        "PO777",
    )
    mulch = next(line for line in of_type(parsed, ReceiverLine) if line.item_id == "MULCH-2CF")
    assert (mulch.unit_cost_cents, mulch.po_unit_cost_cents) == (1250, 1225)
    assert receiver.total_cost_cents == 45 * 625 + 20 * 1250


def test_a_cash_paid_receiver_is_marked_with_the_cash_amount() -> None:
    receiver = one(_all("receivers.jsonl")[1], Receiver)
    assert (receiver.cash_paid, receiver.cash_paid_cents, receiver.po_no) == (True, 8000, None)


def test_a_return_to_vendor_keeps_quantities_cost_and_reason() -> None:
    parsed = _all("returns_to_vendor.jsonl")[0]
    rtv, line = one(parsed, ReturnToVendor), one(parsed, ReturnToVendorLine)
    assert (rtv.id, rtv.vendor_no, rtv.reason_code, rtv.total_quantity, rtv.total_cost_cents) == (
        "cp:rtv:MAIN:V300",
        "GROWER1",
        "DAMAGED",
        3.0,
        1875,
    )
    assert (line.item_id, line.quantity, line.unit_cost_cents) == ("FERN-1G", 3.0, 625)


def test_a_dead_count_adjustment_is_a_write_off_with_its_reason_code_verbatim() -> None:
    dead, found = (one(p, InventoryAdjustment) for p in _all("adjustments.jsonl"))
    assert (dead.reason_code, dead.write_off, dead.posted, dead.quantity, dead.extended_cost_cents) == (
        "DEAD",
        True,
        True,
        -4.0,
        -2500,
    )
    assert (found.reason_code, found.write_off, found.posted) == ("FOUND", False, False)
    assert dead.id == "cp:adjustment:MAIN:DEADCOUNT:2024-06-30T00:00:00.0000000:1:FERN-1G"


@pytest.mark.parametrize(
    ("name", "kind", "fact"),
    [
        ("transfers.jsonl", "transfer", "transfer"),
        ("receivers.jsonl", "receiver", "receiver"),
        ("returns_to_vendor.jsonl", "return_to_vendor", "return_to_vendor"),
        ("adjustments.jsonl", "inventory_adjustment", "adjustment"),
    ],
)
def test_each_stock_movement_is_published_as_a_detection_event(name: str, kind: str, fact: str) -> None:
    (detection,) = _all(name)[0].events
    assert detection.kind == kind
    assert fact in detection.facts
    assert detection.occurred_at is not None
