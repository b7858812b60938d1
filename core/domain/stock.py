"""Stock movements outside the till (``sales`` schema): transfers, receivers, returns to vendor and
inventory adjustments (seed Q.1.11; rules Q-IS-01..04).

In Counterpoint these are separate tables with their own number series (IM_XFER_*, PO_RECVR_*,
PO_RTV_*, IM_ADJ_*), not document types. Locations here are *stock* locations (LOC_ID), which usually
but not always equal a store id, so they are kept verbatim rather than mapped to ``cp:location:``.

A transfer is recorded twice, once per side: the sending store's shipment (``SENT``) and the
receiving store's receipt (``RECEIVED``) arrive in different exports at different times, and an upsert
of one must not erase the other. Loss on a route is sent minus received over both sides' lines.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from sqlmodel import Field

from core.domain.columns import UTCDateTime
from core.domain.records import Canonical


class TransferDirection(StrEnum):
    SENT = "SENT"  # IM_XFER_HDR/LIN: quantities shipped out of from_location
    RECEIVED = "RECEIVED"  # IM_XFER_IN_HIST/_LIN: quantities booked in at to_location


class Transfer(Canonical):
    id: str = Field(primary_key=True, max_length=160)  # cp:transfer:<FROM_LOC_ID>:<XFER_NO>:<direction>
    source: str = Field(default="COUNTERPOINT", max_length=16)
    transfer_no: str = Field(max_length=32, index=True)
    direction: str = Field(max_length=16)  # TransferDirection
    from_location: str = Field(max_length=32)
    to_location: str = Field(max_length=32)
    occurred_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # SHIP_DAT or RECVD_DAT
    total_quantity: float | None = None
    total_cost_cents: int | None = None


class TransferLine(Canonical):
    natural_key: ClassVar[tuple[str, ...]] = ("transfer_id", "line_no")

    transfer_id: str = Field(primary_key=True, max_length=160)
    line_no: str = Field(primary_key=True, max_length=64)
    transfer_no: str = Field(max_length=32)
    direction: str = Field(max_length=16)
    # The route is repeated on each line so loss per route needs no join.
    from_location: str = Field(max_length=32)
    to_location: str = Field(max_length=32)
    item_id: str | None = Field(default=None, max_length=128)
    quantity: float = 0.0  # XFER_QTY when sent, QTY_RECVD when received
    unit_cost_cents: int | None = None
    extended_cost_cents: int | None = None


class Receiver(Canonical):
    """A receiving (PO_RECVR_HIST): goods booked in from a vendor, usually against a purchase order."""

    id: str = Field(primary_key=True, max_length=160)  # cp:receiver:<RECVR_LOC_ID>:<RECVR_NO>
    source: str = Field(default="COUNTERPOINT", max_length=16)
    receiver_no: str = Field(max_length=32, index=True)
    location: str = Field(max_length=32)
    vendor_no: str | None = Field(default=None, max_length=32)
    po_no: str | None = Field(default=None, max_length=32)
    received_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # How Counterpoint marks a receiver paid in cash is not public; the export supplies it (Q-IS-02).
    cash_paid: bool | None = None
    cash_paid_cents: int | None = None
    total_cost_cents: int | None = None


class ReceiverLine(Canonical):
    natural_key: ClassVar[tuple[str, ...]] = ("receiver_id", "line_no")

    receiver_id: str = Field(primary_key=True, max_length=160)
    line_no: str = Field(primary_key=True, max_length=64)
    item_id: str | None = Field(default=None, max_length=128)
    po_no: str | None = Field(default=None, max_length=32)
    po_line_no: str | None = Field(default=None, max_length=32)
    quantity_received: float = 0.0
    unit_cost_cents: int | None = None  # RECVD_COST
    extended_cost_cents: int | None = None
    po_quantity_ordered: float | None = None  # joined from the PO line by the export
    po_unit_cost_cents: int | None = None


class ReturnToVendor(Canonical):
    id: str = Field(primary_key=True, max_length=160)  # cp:rtv:<RTV_LOC_ID>:<RTV_NO>
    source: str = Field(default="COUNTERPOINT", max_length=16)
    rtv_no: str = Field(max_length=32, index=True)
    location: str = Field(max_length=32)
    vendor_no: str | None = Field(default=None, max_length=32)
    reason_code: str | None = Field(default=None, max_length=32)
    returned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    total_quantity: float | None = None
    total_cost_cents: int | None = None


class ReturnToVendorLine(Canonical):
    natural_key: ClassVar[tuple[str, ...]] = ("rtv_id", "line_no")

    rtv_id: str = Field(primary_key=True, max_length=160)
    line_no: str = Field(primary_key=True, max_length=64)
    item_id: str | None = Field(default=None, max_length=128)
    quantity: float = 0.0  # QTY_RETD
    unit_cost_cents: int | None = None
    extended_cost_cents: int | None = None
    reason_code: str | None = Field(default=None, max_length=32)


class InventoryAdjustment(Canonical):
    """IM_ADJ_HIST (posted) or IM_ADJ_TRX (unposted): a manual stock change with a reason code.
    Which codes mean dead count or write-off is the merchant's convention (ASSUMPTION-Q-05), so the
    code is kept verbatim; ``write_off`` only says stock was removed."""

    id: str = Field(primary_key=True, max_length=200)
    source: str = Field(default="COUNTERPOINT", max_length=16)
    location: str = Field(max_length=32, index=True)
    item_id: str = Field(max_length=128)
    batch_id: str | None = Field(default=None, max_length=32)
    seq_no: str | None = Field(default=None, max_length=32)
    posted: bool = True
    quantity: float = 0.0  # signed: negative removes stock
    unit: str | None = Field(default=None, max_length=16)
    unit_cost_cents: int | None = None
    extended_cost_cents: int | None = None
    reason_code: str | None = Field(default=None, max_length=32)
    document_no: str | None = Field(default=None, max_length=64)
    reference: str | None = Field(default=None, max_length=64)
    write_off: bool = False
    occurred_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


@dataclass(frozen=True)
class RouteLoss:
    from_location: str
    to_location: str
    sent: float
    received: float

    @property
    def lost(self) -> float:
        return self.sent - self.received


def transfer_loss_by_route(lines: Iterable[TransferLine]) -> dict[tuple[str, str], RouteLoss]:
    """Sent minus received per (from, to). A transfer still in transit counts as loss until its
    receipt arrives, which is why Q-IS-03 reads this as a trend over closed transfers."""
    sent: dict[tuple[str, str], float] = defaultdict(float)
    received: dict[tuple[str, str], float] = defaultdict(float)
    for line in lines:
        route = (line.from_location, line.to_location)
        bucket = sent if line.direction == TransferDirection.SENT else received
        bucket[route] += line.quantity
    return {
        route: RouteLoss(route[0], route[1], sent.get(route, 0.0), received.get(route, 0.0))
        for route in sorted(set(sent) | set(received))
    }
