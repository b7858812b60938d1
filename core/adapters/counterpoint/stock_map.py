"""Export rows of the stock tables → transfers, receivers, returns to vendor and adjustments.

Each function receives the export row with its children merged in (a ``Row`` whose path is the table
name). Column names are those of the Counterpoint tables as practitioner SQL reads them [P]; the few
that no public source shows are marked [I] or named as columns the export joins in (docs/counterpoint.md).
Dates here have no time zone and their location is a stock location, not necessarily a store: they
are read in the zone of the store with that id when there is one, else as UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from core.adapters.counterpoint.fields import Row, present
from core.domain.parsing import ParseContext
from core.domain.records import Canonical, Vendor, canonical_id, version_key
from core.domain.stock import (
    InventoryAdjustment,
    Receiver,
    ReceiverLine,
    ReturnToVendor,
    ReturnToVendorLine,
    Transfer,
    TransferDirection,
    TransferLine,
)

CP = Vendor.COUNTERPOINT


@dataclass(frozen=True)
class StockParts:
    kind: str  # transfer | receiver | return_to_vendor | inventory_adjustment
    entity_id: str
    occurred_at: datetime | None
    header: Canonical
    lines: list[Canonical]


@dataclass(frozen=True)
class _TransferSide:
    lines: str
    date: str
    quantity: str
    unit_cost: str
    extended_cost: str


# [P] IM_XFER_HDR/LIN for what was shipped; IM_XFER_IN_HIST/_LIN for what was booked in. The received
# side's cost columns are [I].
_SIDES = {
    TransferDirection.SENT: _TransferSide(
        "IM_XFER_LIN", "SHIP_DAT", "XFER_QTY", "FROM_UNIT_COST", "FROM_EXT_COST"
    ),
    TransferDirection.RECEIVED: _TransferSide(
        "IM_XFER_IN_HIST_LIN", "RECVD_DAT", "QTY_RECVD", "UNIT_COST", "EXT_COST"
    ),
}


def transfer(row: Row, ctx: ParseContext, direction: TransferDirection) -> StockParts:
    """One side of a transfer. XFER_NO comes from the sending workgroup, so the key carries
    FROM_LOC_ID; each side's date is read in the zone of the store where it happened."""
    side = _SIDES[direction]
    number, origin, target = (
        row.require_text("XFER_NO"),
        row.require_text("FROM_LOC_ID"),
        row.require_text("TO_LOC_ID"),
    )
    when = _date(row, side.date, ctx, origin if direction is TransferDirection.SENT else target)
    version = version_key(row.utc_time("RS_UTC_DT") or when)
    tid = canonical_id(CP, "transfer", f"{origin}:{number}:{direction}")
    lines = [
        TransferLine(
            transfer_id=tid,
            line_no=_line_no(line, index),
            transfer_no=number,
            direction=direction,
            from_location=origin,
            to_location=target,
            version_key=version,
            **present(
                item_id=line.text("ITEM_NO"),
                quantity=line.number(side.quantity),
                unit_cost_cents=line.cents(side.unit_cost),
                extended_cost_cents=_extended(line, side.quantity, side.unit_cost, side.extended_cost),
            ),
        )
        for index, line in enumerate(row.children(side.lines) or [])
    ]
    header = Transfer(
        id=tid,
        transfer_no=number,
        direction=direction,
        from_location=origin,
        to_location=target,
        version_key=version,
        **present(
            occurred_at=when,
            total_quantity=sum(line.quantity for line in lines),
            total_cost_cents=_total(line.extended_cost_cents for line in lines),
        ),
    )
    return StockParts("transfer", tid, when, header, list(lines))


def receiver(row: Row, ctx: ParseContext) -> StockParts:
    """PO_RECVR_HIST + PO_RECVR_HIST_LIN. PO_QTY_ORD / PO_UNIT_COST are joined in from the PO line by
    the export; CASH_PAID (Y/N) and CASH_PAID_AMT are the export's answer to "was this paid in cash",
    which Counterpoint stores in a way no public source shows."""
    number, location = row.require_text("RECVR_NO"), row.require_text("RECVR_LOC_ID")
    when = _date(row, "RECVR_DAT", ctx, location)
    version = version_key(row.utc_time("RS_UTC_DT") or when)
    rid = canonical_id(CP, "receiver", f"{location}:{number}")
    lines: list[ReceiverLine] = [
        ReceiverLine(
            receiver_id=rid,
            line_no=_line_no(line, index),
            version_key=version,
            **present(
                item_id=line.text("ITEM_NO"),
                po_no=line.text("PO_NO") or row.text("PO_NO"),
                po_line_no=line.key_text("PO_SEQ_NO"),
                quantity_received=line.number("QTY_RECVD"),
                unit_cost_cents=line.cents("RECVD_COST"),
                extended_cost_cents=_extended(line, "QTY_RECVD", "RECVD_COST", "EXT_COST"),
                po_quantity_ordered=line.number("PO_QTY_ORD"),
                po_unit_cost_cents=line.cents("PO_UNIT_COST"),
            ),
        )
        for index, line in enumerate(row.children("PO_RECVR_HIST_LIN") or [])
    ]
    header = Receiver(
        id=rid,
        receiver_no=number,
        location=location,
        version_key=version,
        **present(
            vendor_no=row.text("VEND_NO"),
            po_no=row.text("PO_NO"),
            received_at=when,
            cash_paid=row.flag("CASH_PAID"),
            cash_paid_cents=row.cents("CASH_PAID_AMT"),
            total_cost_cents=_total(line.extended_cost_cents for line in lines),
        ),
    )
    return StockParts("receiver", rid, when, header, list(lines))


def return_to_vendor(row: Row, ctx: ParseContext) -> StockParts:
    """PO_RTV_HIST + PO_RTV_HIST_LIN (QTY_RETD; UNIT_COST [I])."""
    number, location = row.require_text("RTV_NO"), row.require_text("RTV_LOC_ID")
    when = _date(row, "RTV_DAT", ctx, location)
    version = version_key(row.utc_time("RS_UTC_DT") or when)
    vid = canonical_id(CP, "rtv", f"{location}:{number}")
    lines: list[ReturnToVendorLine] = [
        ReturnToVendorLine(
            rtv_id=vid,
            line_no=_line_no(line, index),
            version_key=version,
            **present(
                item_id=line.text("ITEM_NO"),
                quantity=line.number("QTY_RETD"),
                unit_cost_cents=line.cents("UNIT_COST"),
                extended_cost_cents=_extended(line, "QTY_RETD", "UNIT_COST", "EXT_COST"),
                reason_code=line.text("REAS_COD"),
            ),
        )
        for index, line in enumerate(row.children("PO_RTV_HIST_LIN") or [])
    ]
    header = ReturnToVendor(
        id=vid,
        rtv_no=number,
        location=location,
        version_key=version,
        **present(
            vendor_no=row.text("VEND_NO"),
            reason_code=row.text("REAS_COD"),
            returned_at=when,
            total_quantity=sum(line.quantity for line in lines),
            total_cost_cents=_total(line.extended_cost_cents for line in lines),
        ),
    )
    return StockParts("return_to_vendor", vid, when, header, list(lines))


def adjustment(row: Row, ctx: ParseContext, *, posted: bool) -> StockParts:
    """IM_ADJ_HIST (posted) or IM_ADJ_TRX (unposted batch): one item at one location. The key is the
    columns Rapid's API uses to address a row: LOC_ID, BAT_ID, TRX_DAT, SEQ_NO, ITEM_NO."""
    location, item = row.require_text("LOC_ID"), row.require_text("ITEM_NO")
    when = _date(row, "TRX_DAT", ctx, location)
    batch, seq = row.text("BAT_ID"), row.key_text("SEQ_NO")
    stamp = row.text("TRX_DAT") or ""
    quantity = row.number("QTY")
    record = InventoryAdjustment(
        id=canonical_id(CP, "adjustment", f"{location}:{batch or ''}:{stamp}:{seq or ''}:{item}"),
        location=location,
        item_id=item,
        posted=posted,
        write_off=quantity is not None and quantity < 0,
        version_key=version_key(row.utc_time("RS_UTC_DT") or when),
        **present(
            batch_id=batch,
            seq_no=seq,
            quantity=quantity,
            unit=row.text("UNIT"),
            unit_cost_cents=row.cents("UNIT_COST"),
            extended_cost_cents=_extended(row, "QTY", "UNIT_COST", "EXT_COST"),
            reason_code=row.text("REAS_COD"),
            document_no=row.text("DOC_NO"),
            reference=row.text("REF"),
            occurred_at=when,
        ),
    )
    return StockParts("inventory_adjustment", record.id, when, record, [])


def _line_no(line: Row, index: int) -> str:
    """LIN_SEQ_NO [I] when the export has it; otherwise the line's position, stable for one export."""
    return line.key_text("LIN_SEQ_NO") or line.key_text("SEQ_NO") or str(index + 1)


def _date(row: Row, key: str, ctx: ParseContext, location: str) -> datetime | None:
    zone: tzinfo
    try:
        zone = ZoneInfo(ctx.location_timezone(location))
    except (KeyError, ValueError):
        zone = UTC
    stamp = row.local_time(key, zone)
    return stamp[0] if stamp else None


def _extended(row: Row, quantity: str, unit_cost: str, extended: str) -> int | None:
    """The exported extended cost, or quantity × unit cost rounded half-up to the cent."""
    if row.has(extended):
        return row.cents(extended)
    qty, cost = row.decimal(quantity), row.decimal(unit_cost)
    if qty is None or cost is None:
        return None
    return int((qty * cost).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) * 100)


def _total(values: Iterable[int | None]) -> int | None:
    """The sum when every line has a value; a partial sum would understate the document."""
    items = list(values)
    return None if not items or None in items else sum(value or 0 for value in items)
