"""Counterpoint stock movements as export rows, ``{"table": ..., "row": {...}, "children": {...}}``
(core/adapters/counterpoint/batch.py): PO_RECVR_HIST with the PO's ordered quantity and cost joined
onto each line and the export's CASH_PAID answer, IM_XFER_HDR (sent) and IM_XFER_IN_HIST (received),
PO_RTV_HIST, IM_ADJ_HIST (with the item's CATEG_COD joined in, so write-offs can be bucketed by
category before any sale of the item has been seen). Dates are the stock location's wall clock; the
warehouse is not a store Canary knows a zone for, so its ship dates are written in UTC (how the
adapter will read them)."""

from __future__ import annotations

from typing import Any

from core.simulate.clock import cp_local, cp_utc
from core.simulate.movements import Adjustment, Receiver, Transfer, VendorReturn
from core.simulate.render.cp_lines import amount
from core.simulate.vendor_ids import VendorIds

Json = dict[str, Any]


def receiver(ids: VendorIds, r: Receiver) -> Json:
    number = ids.receiver_no(r)
    lines = [
        {
            "LIN_SEQ_NO": n + 1,
            "ITEM_NO": li.item.sku,
            "PO_NO": r.po_no,
            "PO_SEQ_NO": n + 1,
            "QTY_RECVD": li.received,
            "RECVD_COST": amount(li.unit_cost),
            "EXT_COST": amount(li.received * li.unit_cost),
            "PO_QTY_ORD": li.qty,
            "PO_UNIT_COST": amount(li.item.cost),
        }
        for n, li in enumerate(r.lines)
    ]
    total = sum(li.received * li.unit_cost for li in r.lines)
    row: Json = {
        "RECVR_NO": number,
        "RECVR_LOC_ID": r.store.external_id,
        "RECVR_DAT": cp_local(r.at, r.store.timezone),
        "VEND_NO": r.supplier.code,
        "PO_NO": r.po_no,
        "USR_ID": r.user.external_id,
        "CASH_PAID": "Y" if r.cash_paid else "N",
    }
    if r.cash_paid:
        row["CASH_PAID_AMT"] = amount(total)
    row["RS_UTC_DT"] = cp_utc(r.at)
    return {"table": "PO_RECVR_HIST", "row": row, "children": {"PO_RECVR_HIST_LIN": lines}}


def transfer_sent(ids: VendorIds, t: Transfer) -> Json:
    lines = [
        {
            "LIN_SEQ_NO": n + 1,
            "ITEM_NO": li.item.sku,
            "XFER_QTY": li.qty,
            "FROM_UNIT_COST": amount(li.unit_cost),
            "FROM_EXT_COST": amount(li.qty * li.unit_cost),
        }
        for n, li in enumerate(t.lines)
    ]
    row = {
        "XFER_NO": ids.transfer_no(t),
        "FROM_LOC_ID": t.source,
        "TO_LOC_ID": t.target,
        "SHIP_DAT": cp_utc(t.shipped_at),
        "RS_UTC_DT": cp_utc(t.shipped_at),
    }
    return {"table": "IM_XFER_HDR", "row": row, "children": {"IM_XFER_LIN": lines}}


def transfer_received(ids: VendorIds, t: Transfer) -> Json:
    lines = [
        {
            "LIN_SEQ_NO": n + 1,
            "ITEM_NO": li.item.sku,
            "QTY_RECVD": li.received,
            "UNIT_COST": amount(li.unit_cost),
            "EXT_COST": amount(li.received * li.unit_cost),
        }
        for n, li in enumerate(t.lines)
    ]
    row = {
        "XFER_NO": ids.transfer_no(t),
        "FROM_LOC_ID": t.source,
        "TO_LOC_ID": t.target,
        "RECVD_DAT": cp_local(t.received_at, t.target_zone),
        "RS_UTC_DT": cp_utc(t.received_at),
    }
    return {"table": "IM_XFER_IN_HIST", "row": row, "children": {"IM_XFER_IN_HIST_LIN": lines}}


def vendor_return(ids: VendorIds, v: VendorReturn) -> Json:
    lines = [
        {
            "LIN_SEQ_NO": n + 1,
            "ITEM_NO": li.item.sku,
            "QTY_RETD": li.qty,
            "UNIT_COST": amount(li.unit_cost),
            "EXT_COST": amount(li.qty * li.unit_cost),
            "REAS_COD": v.reason,
        }
        for n, li in enumerate(v.lines)
    ]
    row = {
        "RTV_NO": ids.rtv_no(v),
        "RTV_LOC_ID": v.store.external_id,
        "RTV_DAT": cp_local(v.at, v.store.timezone),
        "VEND_NO": v.supplier.code,
        "REAS_COD": v.reason,
        "RS_UTC_DT": cp_utc(v.at),
    }
    return {"table": "PO_RTV_HIST", "row": row, "children": {"PO_RTV_HIST_LIN": lines}}


def adjustment(ids: VendorIds, a: Adjustment) -> Json:
    row = {
        "LOC_ID": a.store.external_id,
        "BAT_ID": a.batch,
        "TRX_DAT": cp_local(a.at, a.store.timezone),
        "SEQ_NO": ids.adjustment_seq(a),
        "ITEM_NO": a.item.sku,
        "CATEG_COD": a.item.category,
        "QTY": a.qty,
        "UNIT": "EACH",
        "UNIT_COST": amount(a.item.cost),
        "EXT_COST": amount(a.qty * a.item.cost),
        "REAS_COD": a.reason,
        "REF": "Dead count" if a.reason == "DEAD" else a.reason,
        "RS_UTC_DT": cp_utc(a.at),
    }
    return {"table": "IM_ADJ_HIST", "row": row, "children": {}}
