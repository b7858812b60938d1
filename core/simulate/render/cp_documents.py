"""A simulated ticket as Counterpoint writes it: the GET /Document response (PS_DOC_HDR with its child
arrays nested inside, fixtures apiguide/GET_Document.response1.json), or the same document as a posted
history export row (``{"table": "PS_TKT_HIST", "row": {...}, "children": {...}}``).

Conventions (docs/simulator.md): return lines are LIN_TYP 'R' with negative quantities and amounts;
a void is a separate document whose audit log has a DOC_TYP 'V' row, linked (or, in a scenario, not)
to its original through PS_DOC_HDR_ORIG_DOC; totals live in PS_DOC_HDR_TOT; RS_UTC_DT is UTC and
every other time is the store's wall clock. Routine audit rows: N on entry, L (receipt look-up)
before a return, O for each price override, P for each payment, V for a void, C on commit.
"""

from __future__ import annotations

from typing import Any

from core.simulate.clock import cp_date, cp_local, cp_utc
from core.simulate.model import Ticket
from core.simulate.render import cp_lines as parts
from core.simulate.render.cp_audit import audit_rows
from core.simulate.vendor_ids import VendorIds
from core.simulate.world import World

Json = dict[str, Any]
API = (
    "PS_DOC_HDR",
    "PS_DOC_LIN",
    "PS_DOC_LIN_PRICE",
    "PS_DOC_PMT",
    "PS_DOC_TAX",
    "PS_DOC_HDR_TOT",
    "PS_DOC_HDR_ORIG_DOC",
)
HISTORY = (
    "PS_TKT_HIST",
    "PS_TKT_HIST_LIN",
    "PS_TKT_HIST_LIN_PRICE",
    "PS_TKT_HIST_PMT",
    "PS_TKT_HIST_TAX",
    "PS_TKT_HIST_TOT",
    "PS_TKT_HIST_ORIG_DOC",
)


def document(world: World, ids: VendorIds, ticket: Ticket, history: bool = False) -> Json:
    names = HISTORY if history else API
    store, zone = ticket.store, ticket.store.timezone
    doc_id, guid = ids.doc_id(ticket), ids.doc_guid(ticket)
    base = ticket.revision_of or ticket
    common = {
        "DOC_ID": doc_id,
        "STR_ID": store.external_id,
        "STA_ID": ticket.station.external_id,
        "TKT_NO": base.number,
    }
    returns = [li for li in ticket.lines if li.kind == "R"]
    stack = ticket.jurisdiction or store.jurisdiction
    header: Json = {
        **common,
        "DOC_TYP": ticket.doc_type,
        "SAL_LINS": sum(1 for li in ticket.lines if li.kind == "S"),
        "ORD_LINS": sum(1 for li in ticket.lines if li.kind == "L"),
        "SAL_LIN_TOT": parts.amount(sum(li.ext for li in ticket.lines if li.kind == "S")),
        "GFC_LINS": 0,
        "BO_LINS": 0,
        "SO_LINS": 0,
        "DRW_ID": ticket.station.drawer_id,
    }
    if ticket.session is not None:
        header["DRW_SESSION_ID"] = ticket.session.number
    saved = ticket.saved_at
    header.update(
        {
            "CUST_NO": ticket.customer.external_id if ticket.customer else "CASH",
            "RET_LINS": len(returns),
            "RET_LIN_TOT": parts.amount(sum(li.ext for li in returns)),
            "TAX_COD": "EXEMPT" if ticket.exempt else stack.code,
            "TKT_TYP": "T",
            "USR_ID": ticket.employee.external_id,
            "SLS_REP": ticket.employee.external_id,
            "STK_LOC_ID": store.external_id,
            "PRC_LOC_ID": store.external_id,
            "SVC_LINS": 0,
            "DOC_GUID": guid,
            "REQ_REPRICE": "N",
            "RS_UTC_DT": cp_utc(saved),
            "IS_DOC_COMMITTED": "Y",
            "TIMES_PRTD": 1,
            "TKT_DT": cp_local(ticket.at, zone),
            "IS_REL_TKT": "Y" if ticket.release else "N",
            "NORM_TAX_COD": "EXEMPT" if ticket.exempt else store.jurisdiction.code,
            "LST_MAINT_DT": cp_local(saved, zone),
            "LST_MAINT_USR_ID": ticket.employee.external_id,
            "IS_OFFLINE": False,
            "RS_STAT": 1,
            "DS_LINS": 0,
        }
    )
    if history:
        header["BUS_DAT"] = cp_date(parts.local_date(ticket))
    children: Json = {
        names[1]: [parts.line(ids, ticket, n, li, common, names[2]) for n, li in enumerate(ticket.lines)],
        names[3]: [parts.payment(ticket, n, common, doc_id) for n in range(len(ticket.payments))],
        "PS_DOC_NOTE": [],
        "PS_DOC_PKG_TRK_NO": [],
        names[5]: [parts.totals(ticket, doc_id)],
        names[4]: [parts.tax(ticket, n, doc_id) for n in range(len(ticket.taxes))],
        "PS_DOC_HDR_MISC_CHRG": [],
        names[6]: parts.original(ids, ticket, doc_id),
        "PS_DOC_AUDIT_LOG": audit_rows(world, ticket, doc_id, guid),
        "PS_DOC_GFC": [],
    }
    if history:
        return {"table": names[0], "row": header, "children": children}
    return {"PS_DOC_HDR": {**header, **children}, "ErrorCode": "SUCCESS"}
