"""NCR's complete GET /Document sample, mapped field by field. Each case names the canonical field,
the vendor field it comes from, and the value the sample dictates."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from core.domain.documents import AuditLogEntry, Document, DocumentTax, PricingDecision
from core.domain.parsing import Parsed
from core.domain.sales import LineItem, RefundLink, Tender, Transaction

from .support import SALE_ID, document_bytes, of_type, one, run

SALE: Parsed = run(document_bytes())


def _cases(rows: list[tuple[str, str, Any]]) -> Any:
    return pytest.mark.parametrize(
        ("field", "expected"), [(f, v) for f, _, v in rows], ids=[f"{f}<-{src}" for f, src, _ in rows]
    )


HEADER = [
    ("id", "DOC_GUID", SALE_ID),
    ("doc_guid", "DOC_GUID", "da0f35296a804ceabffe7e6f52b22a9e"),
    ("doc_id", "DOC_ID", "701315942121"),
    ("external_id", "DOC_GUID", "da0f35296a804ceabffe7e6f52b22a9e"),
    ("origin", "GET /Document", "DOCUMENT"),
    ("doc_type", "DOC_TYP", "T"),
    ("ticket_type", "TKT_TYP", "T"),
    ("store_id", "STR_ID", "20"),
    ("location_id", "STR_ID", "cp:location:20"),
    ("station_id", "STA_ID", "20-1"),
    ("drawer_id", "DRW_ID", "20-1"),
    ("drawer_session_id", "DRW_SESSION_ID", "100000000000616"),
    ("user_id", "USR_ID", "MGR"),
    ("sales_rep", "SLS_REP", "MGR"),
    ("customer_no", "CUST_NO", "CASH"),
    ("ticket_number", "TKT_NO", "20-100238"),
    ("committed", "IS_DOC_COMMITTED", False),
    ("release_ticket", "IS_REL_TKT", False),
    ("offline", "IS_OFFLINE", False),
    ("voided", "PS_DOC_AUDIT_LOG.DOC_TYP", False),
    ("times_printed", "TIMES_PRTD", 0),
    ("tax_code", "TAX_COD", "MEMTN"),
    ("normal_tax_code", "NORM_TAX_COD", "MEMTN"),
    ("sale_lines", "SAL_LINS", 1),
    ("return_lines", "RET_LINS", 0),
    ("sale_line_total_cents", "SAL_LIN_TOT", 34999),
    ("return_line_total_cents", "RET_LIN_TOT", 0),
    ("original_doc_ref_count", "PS_DOC_HDR_ORIG_DOC (present, empty)", 0),
    ("last_maintained_by", "LST_MAINT_USR_ID", "MGR"),
]
TOTALS = [
    ("totals_type", "PS_DOC_HDR_TOT.TOT_TYP", "S"),
    ("subtotal_cents", "PS_DOC_HDR_TOT.SUB_TOT", 34999),
    ("tax_cents", "PS_DOC_HDR_TOT.TAX_AMT", 3150),
    ("normal_tax_cents", "PS_DOC_HDR_TOT.NORM_TAX_AMT", 3150),
    ("total_cents", "PS_DOC_HDR_TOT.TOT", 38149),
    ("tendered_cents", "PS_DOC_HDR_TOT.TOT_TND", 38149),
    ("change_cents", "PS_DOC_HDR_TOT.TOT_CHNG", 0),
    ("amount_due_cents", "PS_DOC_HDR_TOT.AMT_DUE", 0),
    ("header_discount_cents", "PS_DOC_HDR_TOT.TOT_HDR_DISC", 0),
    ("line_discount_cents", "PS_DOC_HDR_TOT.TOT_LIN_DISC", 0),
    ("ext_cost_cents", "PS_DOC_HDR_TOT.TOT_EXT_COST", 19645),
    ("misc_charge_cents", "PS_DOC_HDR_TOT.TOT_MISC", 0),
    ("line_count", "PS_DOC_HDR_TOT.LINS", 1),
]
# TKT_DT 2016-04-24 22:38:45 in the store's zone (America/New_York, EDT = UTC-4) is the very instant
# RS_UTC_DT records: the conversion is checked against the vendor's own UTC stamp.
TIMES = [
    ("occurred_at", "TKT_DT in America/New_York", datetime(2016, 4, 25, 2, 38, 45, tzinfo=UTC)),
    ("local_occurred_at", "TKT_DT verbatim", "2016-04-24T22:38:45"),
    ("vendor_updated_at", "RS_UTC_DT (already UTC)", datetime(2016, 4, 25, 2, 38, 45, tzinfo=UTC)),
    ("last_maintained_at", "LST_MAINT_DT in America/New_York", datetime(2016, 4, 25, 2, 38, 45, tzinfo=UTC)),
]
TRANSACTION = [
    ("id", "DOC_GUID", SALE_ID),
    ("type", "lines S, no audit void", "SALE"),
    ("status", "AMT_DUE 0", "COMPLETED"),
    ("source", "adapter", "COUNTERPOINT"),
    ("source_type", "RawEvent.source_type", "POLLING"),
    ("external_id", "DOC_GUID", "da0f35296a804ceabffe7e6f52b22a9e"),
    ("ticket_number", "TKT_NO", "20-100238"),
    ("location_id", "STR_ID", "cp:location:20"),
    ("device_id", "STR_ID/STA_ID", "cp:device:20/20-1"),
    ("employee_id", "USR_ID", "cp:employee:MGR"),
    ("customer_id", "CUST_NO 'CASH' is the walk-in", None),
    ("drawer_session_id", "STR_ID/DRW_SESSION_ID", "cp:drawer_session:20/100000000000616"),
    ("amount_cents", "PS_DOC_HDR_TOT.TOT", 38149),
    ("subtotal_cents", "PS_DOC_HDR_TOT.SUB_TOT", 34999),
    ("tax_cents", "PS_DOC_HDR_TOT.TAX_AMT", 3150),
    ("discount_cents", "TOT_HDR_DISC + TOT_LIN_DISC", 0),
    ("occurred_at", "TKT_DT in America/New_York", datetime(2016, 4, 25, 2, 38, 45, tzinfo=UTC)),
    ("local_occurred_at", "TKT_DT verbatim", "2016-04-24T22:38:45"),
]
LINE = [
    ("transaction_id", "DOC_GUID", SALE_ID),
    ("line_no", "LIN_SEQ_NO", "1"),
    ("line_type", "LIN_TYP 'S'", "SALE"),
    ("item_id", "ITEM_NO", "ADM-TL9"),
    ("category_id", "CATEG_COD", "cp:category:GOLF"),
    ("description", "DESCR", "Adams Tight Lies 9 Wood"),
    ("quantity", "QTY_SOLD", 1.0),
    ("unit_price_cents", "PRC", 34999),
    ("regular_price_cents", "REG_PRC", 34999),
    ("unit_cost_cents", "UNIT_COST", 19645),
    ("extended_price_cents", "EXT_PRC", 34999),
    ("extended_cost_cents", "EXT_COST", 19645),
    ("discount_cents", "GROSS_EXT_PRC - EXT_PRC", 0),
    ("price_overridden", "HAS_PRC_OVRD", False),
    ("mix_match_code", "MIX_MATCH_COD", "CLUBDEAL"),
    ("discountable", "IS_DISCNTBL", True),
]
PAYMENT = [
    ("tender_no", "PMT_SEQ_NO", "1"),
    ("tender_type", "PAY_COD_TYP 'B'", "CASH"),
    ("pay_code", "PAY_COD", "CASH"),
    ("amount_cents", "AMT", 38149),
    ("entry_method", "SWIPED 'N' (not a swipe; keyed or chip unknown)", None),
    ("new_card", "CARD_IS_NEW", False),
    ("authorized", "EDC_AUTH_FLG 'O' (meaning unknown)", None),
    ("employee_id", "USR_ID", "cp:employee:MGR"),
    ("device_id", "STR_ID/STA_ID", "cp:device:20/20-1"),
]
AUDIT = [
    ("document_id", "DOC_GUID", SALE_ID),
    ("seq", "LOG_SEQ_NO", 1),
    ("doc_type", "DOC_TYP", "T"),
    ("activity", "ACTIV", "N"),
    ("log_entry", "LOG_ENTRY verbatim", "Entered a new ticket"),
    ("user_id", "CURR_USR_ID", "MGR"),
    ("store_id", "CURR_STR_ID", "20"),
    ("station_id", "CURR_STA_ID", "20-1"),
    ("drawer_id", "CURR_DRW_ID", "20-1"),
    ("workstation", "CURR_WKSTN_NAM", "WUSMJ185111-T75"),
    ("occurred_at", "CURR_DT in America/New_York", datetime(2016, 4, 25, 2, 38, 44, tzinfo=UTC)),
    ("local_occurred_at", "CURR_DT verbatim", "2016-04-24T22:38:44"),
    ("total_cents", "PS_DOC_AUDIT_LOG_TOT.TOT", 38149),
    ("tendered_cents", "PS_DOC_AUDIT_LOG_TOT.TOT_TND", 38149),
    ("change_cents", "PS_DOC_AUDIT_LOG_TOT.TOT_CHNG", 0),
    ("amount_due_cents", "PS_DOC_AUDIT_LOG_TOT.AMT_DUE", 0),
    ("line_count", "PS_DOC_AUDIT_LOG_TOT.LINS", 1),
]
PRICING = [
    ("document_id", "DOC_GUID", SALE_ID),
    ("line_no", "LIN_SEQ_NO", "1"),
    ("seq", "PRC_SEQ_NO", 1),
    ("justification", "PRC_JUST_STR", "Price-1"),
    ("group_type", "PRC_GRP_TYP", "!"),
    ("rule_seq", "PRC_RUL_SEQ_NO", -1),
    ("break_description", "PRC_BRK_DESCR", "I"),
    ("unit_price_cents", "UNIT_PRC", 34999),
    ("quantity_priced", "QTY_PRCD", 1.0),
]


@_cases(HEADER)
def test_the_document_header_maps(field: str, expected: Any) -> None:
    assert getattr(one(SALE, Document), field) == expected


@_cases(TOTALS)
def test_the_header_totals_come_from_ps_doc_hdr_tot(field: str, expected: Any) -> None:
    assert getattr(one(SALE, Document), field) == expected


@_cases(TIMES)
def test_local_times_are_placed_in_the_store_zone_and_utc_times_are_kept(field: str, expected: Any) -> None:
    assert getattr(one(SALE, Document), field) == expected


@_cases(TRANSACTION)
def test_the_ticket_is_also_a_shared_transaction(field: str, expected: Any) -> None:
    assert getattr(one(SALE, Transaction), field) == expected


@_cases(LINE)
def test_the_sale_line_maps(field: str, expected: Any) -> None:
    assert getattr(one(SALE, LineItem), field) == expected


@_cases(PAYMENT)
def test_the_cash_payment_maps(field: str, expected: Any) -> None:
    assert getattr(one(SALE, Tender), field) == expected


@_cases(AUDIT)
def test_the_audit_log_entry_maps_with_activity_and_text_verbatim(field: str, expected: Any) -> None:
    assert getattr(one(SALE, AuditLogEntry), field) == expected


@_cases(PRICING)
def test_the_pricing_decision_maps(field: str, expected: Any) -> None:
    assert getattr(one(SALE, PricingDecision), field) == expected


@pytest.mark.parametrize(
    ("authority", "tax_cents"),
    [("MEMPHIS", 700), ("SHELBY", 1050), ("TN", 1400)],
    ids=["MEMPHIS", "SHELBY", "TN"],
)
def test_each_taxing_authority_is_its_own_row(authority: str, tax_cents: int) -> None:
    (row,) = [t for t in of_type(SALE, DocumentTax) if t.authority == authority]
    assert (row.doc_part, row.rule_code, row.tax_cents, row.taxable_line_amount_cents) == (
        "S",
        "TAX",
        tax_cents,
        34999,
    )
    assert row.taxable_quantity == 1.0
    assert row.total_taxable_cents == 34999


def test_the_authorities_add_up_to_the_ticket_tax() -> None:
    assert sum(t.tax_cents for t in of_type(SALE, DocumentTax)) == one(SALE, Document).tax_cents == 3150


def test_a_sale_without_references_produces_no_refund_link() -> None:
    assert of_type(SALE, RefundLink) == []


def test_the_detection_event_carries_every_substrate_part_as_json() -> None:
    (detection,) = SALE.events
    assert detection.kind == "transaction"
    assert detection.entity_id == SALE_ID
    assert detection.occurred_at == datetime(2016, 4, 25, 2, 38, 45, tzinfo=UTC)
    assert set(detection.facts) == {
        "transaction",
        "line_items",
        "tenders",
        "document",
        "audit_log",
        "pricing_decisions",
        "taxes",
        "original_doc_refs",
    }
    assert detection.facts["transaction"]["amount_cents"] == 38149
    assert detection.facts["transaction"]["occurred_at"] == "2016-04-25T02:38:45Z"
    assert [a["log_entry"] for a in detection.facts["audit_log"]] == ["Entered a new ticket"]
    assert len(detection.facts["taxes"]) == 3
    assert detection.facts["original_doc_refs"] == []  # present but empty, not absent


def test_signature_capture_fields_never_reach_a_record_or_the_facts() -> None:
    raw = document_bytes(
        lambda hdr: hdr["PS_DOC_PMT"][0].update(SIG_IMG="SECRET-SIG", SIG_IMG_VECTOR="SECRET-VEC")
    )
    parsed = run(raw)
    assert "SECRET" not in repr(parsed.records) + repr(parsed.events)
