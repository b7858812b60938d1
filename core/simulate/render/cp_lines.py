"""The parts of a Counterpoint document below its header: lines with their pricing decision,
payments, the totals row, one tax row per authority, and the original-document reference."""

from __future__ import annotations

from datetime import date
from typing import Any

from core.simulate.clock import cp_date, to_local
from core.simulate.model import Line, Ticket
from core.simulate.vendor_ids import VendorIds
from core.simulate.vocab import pay_code

Json = dict[str, Any]


def amount(cents: int) -> int | float:
    """Counterpoint responses send JSON numbers: 7 for whole amounts, 349.99 otherwise."""
    return cents // 100 if cents % 100 == 0 else cents / 100


def local_date(ticket: Ticket) -> date:
    return to_local(ticket.at, ticket.store.timezone).date()


def line(ids: VendorIds, ticket: Ticket, n: int, line: Line, common: Json, prices: str) -> Json:
    sign = line.sign
    body: Json = {
        **common,
        "LIN_SEQ_NO": n + 1,
        "LIN_TYP": line.kind,
        "PRC": amount(line.price),
        "ITEM_NO": line.item.sku,
        "UNIT_RETL_VAL": amount(line.reg_price),
        "CALC_PRC": amount(line.price),
        "EXT_COST": amount(line.ext_cost),
        "STK_LOC_ID": ticket.store.external_id,
        "REG_PRC": amount(line.reg_price),
        "PRC_LOC_ID": ticket.store.external_id,
        "DESCR": line.item.name,
        "CATEG_COD": line.item.category,
        "ITEM_VEND_NO": line.item.vendor,
        "QTY_SOLD": sign * line.qty,
        "QTY_NUMER": 1,
        "QTY_DENOM": 1,
        "QTY_UNIT": "EACH",
        "SELL_UNIT": "0",
        "EXT_PRC": amount(line.ext),
        "IS_TXBL": "Y",
        "SLS_REP": ticket.employee.external_id,
        "ITEM_TYP": "I",
        "PRC_1": amount(line.reg_price),
        "QTY_DECS": 0,
        "PRC_DECS": 2,
        "LIN_GUID": ids.lin_guid(ticket, n),
        "UNIT_COST": amount(line.unit_cost),
        "QTY_RET": 0,
        "IS_VAL_RET": "Y" if line.kind == "R" and ticket.lookup else "N",
        "GROSS_EXT_PRC": amount(line.gross),
        "DISP_EXT_PRC": amount(line.ext),
        "IS_KIT_PAR": "N",
        "HAS_PRC_OVRD": "Y" if line.override else "N",
        "PRESUMED_COST": amount(line.unit_cost),
    }
    if line.override and line.reason:
        body["PRC_OVRD_REAS"] = line.reason
    if line.mix_match:
        body.update({"MIX_MATCH_COD": line.mix_match, "MIX_MATCH_CONTRIB": 1, "MIX_MATCH_PRC_BASED_ON": "Q"})
    body.update(
        {
            "USR_ENTD_PRC": "Y" if line.override else "N",
            "IS_DISCNTBL": "Y",
            "CALC_EXT_PRC": amount(line.ext),
            "PS_DOC_LIN_CELL": [],
            "PS_DOC_LIN_SER": [],
            prices: [
                {
                    "DOC_ID": common["DOC_ID"],
                    "LIN_SEQ_NO": n + 1,
                    "PRC_JUST_STR": line.just,
                    "PRC_GRP_TYP": "!" if line.just == "Price-1" else "P",
                    "PRC_RUL_SEQ_NO": -1,
                    "PRC_BRK_DESCR": "I",
                    "PRC_SEQ_NO": 1,
                    "QTY_PRCD": line.qty,
                    "UNIT_PRC": amount(line.price),
                }
            ],
            "PS_DOC_LIN_PROMPT": [],
        }
    )
    return body


def payment(ticket: Ticket, n: int, common: Json, doc_id: int) -> Json:
    p = ticket.payments[n]
    code, kind, descr = pay_code(p.method, p.card.brand if p.card else None)
    value = amount(-p.amount if ticket.refund else p.amount)
    card = p.method in ("CARD", "DEBIT")
    return {
        "DOC_ID": doc_id,
        "PMT_SEQ_NO": n + 1,
        "PAY_COD_TYP": kind,
        "AMT": value,
        "STR_ID": common["STR_ID"],
        "FINAL_PMT": "Y" if n == len(ticket.payments) - 1 else "N",
        "STA_ID": common["STA_ID"],
        "CARD_IS_NEW": "N",
        "TKT_NO": common["TKT_NO"],
        "SECURE_ECOMM_TRX": "N",
        "PMT_LIN_TYP": "T",
        "PAY_COD": code,
        "PAY_DAT": cp_date(local_date(ticket)),
        "DEP_LIN_COPIED_TO_REL_DOC": "N",
        "HOME_CURNCY_AMT": value,
        "EXCH_LOSS": 0,
        "SWIPED": "Y" if card and p.entry == "SWIPED" else "N",
        "DESCR": descr,
        "EDC_AUTH_FLG": "Y" if card else "O",
        "CURNCY_COD": "HOME",
        "EXCH_RATE_NUMER": 1,
        "EXCH_RATE_DENOM": 1,
        "ROUND_GAIN_LOSS": 0,
        "HOME_CURNCY_ROUND_GAIN_LOSS": 0,
        "PS_DOC_PMT_APPLY": [
            {
                "DOC_ID": doc_id,
                "PMT_SEQ_NO": n + 1,
                "APPL_TYP": "S",
                "AMT": value,
                "HOME_CURNCY_AMT": value,
                "EXCH_LOSS": 0,
            }
        ],
        "PS_DOC_PMT_PROMPT": [],
    }


def totals(ticket: Ticket, doc_id: int) -> Json:
    paid = sum(p.amount for p in ticket.payments) * (-1 if ticket.refund else 1)
    return {
        "DOC_ID": doc_id,
        "TOT_TYP": "S",
        "INITIAL_MIN_DUE": 0,
        "HAS_TAX_OVRD": "Y"
        if ticket.jurisdiction is not None and ticket.jurisdiction != ticket.store.jurisdiction
        else "!",
        "TAX_AMT_SHIPPED": 0,
        "LINS": len(ticket.lines),
        "TOT_GFC_AMT": 0,
        "TOT_SVC_AMT": 0,
        "SUB_TOT": amount(ticket.subtotal),
        "TAX_OVRD_LINS": 0,
        "TOT_EXT_COST": amount(sum(li.ext_cost for li in ticket.lines)),
        "TOT_MISC": 0,
        "TAX_AMT": amount(ticket.tax),
        "NORM_TAX_AMT": amount(ticket.tax),
        "TOT_TND": amount(paid),
        "TOT_CHNG": 0,
        "TOT_WEIGHT": 0,
        "TOT_CUBE": 0,
        "TOT": amount(ticket.total),
        "AMT_DUE": amount(ticket.total - paid),
        "TOT_HDR_DISC": 0,
        "TOT_LIN_DISC": amount(sum(li.discount for li in ticket.lines)),
        "TOT_HDR_DISCNTBL_AMT": amount(ticket.subtotal),
    }


def tax(ticket: Ticket, n: int, doc_id: int) -> Json:
    authority, taxable, tax = ticket.taxes[n]
    body: Json = {
        "DOC_ID": doc_id,
        "AUTH_COD": authority.code,
        "RUL_COD": "TAX",
        "TAX_DOC_PART": "S",
        "LIN_AMT": amount(taxable),
        "TXBL_LIN_AMT": amount(taxable),
    }
    body.update({f"TXBL_MISC_CHG_AMT_{k}": 0 for k in range(1, 6)})
    body.update(
        {
            "TXBL_GFC_AMT": 0,
            "TXBL_SVC_AMT": 0,
            "TXBL_TAX_AMT": 0,
            "TXBL_QTY": sum(li.sign * li.qty for li in ticket.lines),
            "TAX_AMT": amount(tax),
            "NORM_TAX_AMT": amount(tax),
            "TAX_AMT_EXACT": amount(tax),
            "NORM_TAX_AMT_EXACT": amount(tax),
            "TOT_TXBL_AMT": amount(taxable),
        }
    )
    return body


def original(ids: VendorIds, ticket: Ticket, doc_id: int) -> list[Json]:
    original = ticket.original
    if original is None or not ticket.link_original:
        return []
    return [
        {
            "DOC_ID": doc_id,
            "ORIG_DOC_ID": ids.doc_id(original),
            "ORIG_STR_ID": original.store.external_id,
            "ORIG_DOC_GUID": ids.doc_guid(original),
            "ORIG_TKT_NO": original.number,
            "ORIG_DOC_TYP": "T",
        }
    ]
