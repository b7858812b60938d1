"""Returns, voids, exchanges, quotes and posted history: how a document's lines, audit trail and
original-document references decide the shared transaction. No public NCR sample of a return or void
exists, so these documents are built from the GET /Document sample's shape (docs/counterpoint.md)."""

from __future__ import annotations

from typing import Any

import pytest

from core.adapters.counterpoint.parser import parse
from core.domain.documents import AuditLogEntry, Document, OriginalDocRef
from core.domain.parsing import ParseError
from core.domain.sales import LineItem, RefundLink, Tender, Transaction

from .support import SALE_ID, context, document_bytes, event, export_lines, of_type, one, run

RETURN_GUID = "0b7e1c52d4e94a5f9d0c8a1b2c3d4e5f"


def _as_return(hdr: dict[str, Any], orig: list[dict[str, Any]] | None = None) -> None:
    """The sale sample turned into a cash refund of the same club, pointing back at the sale."""
    hdr.update(
        DOC_ID=701315942999,
        DOC_GUID=RETURN_GUID,
        TKT_NO="20-100250",
        SAL_LINS=0,
        RET_LINS=1,
        SAL_LIN_TOT=0,
        RET_LIN_TOT=-349.99,
        TKT_DT="2016-05-02T10:00:00.0000000",
        RS_UTC_DT="2016-05-02T14:00:00.0000000",
    )
    line = hdr["PS_DOC_LIN"][0]
    line.update(LIN_TYP="R", EXT_PRC=-349.99, GROSS_EXT_PRC=-349.99, IS_VAL_RET="Y")
    hdr["PS_DOC_PMT"][0].update(AMT=-381.49, HOME_CURNCY_AMT=-381.49)
    hdr["PS_DOC_HDR_TOT"][0].update(SUB_TOT=-349.99, TAX_AMT=-31.5, TOT=-381.49, TOT_TND=-381.49)
    hdr["PS_DOC_HDR_ORIG_DOC"] = (
        [{"DOC_ID": 701315942999, "ORIG_DOC_ID": 701315942121}] if orig is None else orig
    )


def test_a_return_document_is_a_refund_in_the_shared_model_with_positive_amounts() -> None:
    parsed = run(document_bytes(_as_return))
    txn = one(parsed, Transaction)
    assert (txn.type, txn.status, txn.amount_cents, txn.subtotal_cents, txn.tax_cents) == (
        "REFUND",
        "COMPLETED",
        38149,
        34999,
        3150,
    )
    assert one(parsed, Tender).amount_cents == 38149  # cash handed back, in the refund's direction
    line = one(parsed, LineItem)
    assert (line.line_type, line.extended_price_cents) == ("RETURN", -34999)  # lines keep the vendor's sign
    assert one(parsed, Document).total_cents == -38149


def test_a_return_links_to_its_original_sale_through_the_document_lookup() -> None:
    ctx = context(documents={("20", "701315942121"): SALE_ID})
    parsed = run(document_bytes(_as_return), ctx)
    ref = one(parsed, OriginalDocRef)
    assert (ref.original_doc_id, ref.original_store_id, ref.original_transaction_id) == (
        "701315942121",
        "20",
        SALE_ID,
    )
    assert one(parsed, RefundLink).original_transaction_id == SALE_ID
    assert one(parsed, RefundLink).refund_transaction_id == f"cp:doc:{RETURN_GUID}"


def test_a_return_naming_the_original_guid_links_without_any_lookup() -> None:
    orig = [{"ORIG_DOC_ID": 701315942121, "ORIG_DOC_GUID": "DA0F3529-6A80-4CEA-BFFE-7E6F52B22A9E"}]
    parsed = run(document_bytes(lambda hdr: _as_return(hdr, orig)), context(lookups=False))
    assert one(parsed, OriginalDocRef).original_transaction_id == SALE_ID
    assert one(parsed, RefundLink).original_transaction_id == SALE_ID


def test_an_unresolved_reference_is_kept_for_a_store_and_doc_id_join_rather_than_guessed() -> None:
    parsed = run(document_bytes(_as_return))
    ref = one(parsed, OriginalDocRef)
    assert (ref.original_store_id, ref.original_doc_id, ref.original_transaction_id) == (
        "20",
        "701315942121",
        None,
    )
    assert one(parsed, RefundLink).original_transaction_id is None


def test_an_absent_reference_array_and_an_empty_one_stay_distinguishable() -> None:
    empty = run(document_bytes())
    absent = run(document_bytes(lambda hdr: hdr.pop("PS_DOC_HDR_ORIG_DOC")))
    assert one(empty, Document).original_doc_ref_count == 0
    assert one(absent, Document).original_doc_ref_count is None
    assert empty.events[0].facts["original_doc_refs"] == []
    assert absent.events[0].facts["original_doc_refs"] is None


def _voided(hdr: dict[str, Any]) -> None:
    entry = dict(
        hdr["PS_DOC_AUDIT_LOG"][0],
        LOG_SEQ_NO=2,
        DOC_TYP="V",
        ACTIV="V",
        CURR_USR_ID="SAM",
        CURR_DT="2016-04-24T22:41:00.0000000",
        LOG_ENTRY="Voided ticket  ",
    )
    hdr["PS_DOC_AUDIT_LOG"].append(entry)


def test_an_audit_entry_with_doc_type_v_makes_the_ticket_a_void() -> None:
    parsed = run(document_bytes(_voided))
    txn = one(parsed, Transaction)
    assert (txn.type, txn.status, txn.amount_cents) == ("VOID", "VOIDED", 38149)
    assert one(parsed, Document).voided is True
    void_entry = next(e for e in of_type(parsed, AuditLogEntry) if e.seq == 2)
    assert (void_entry.activity, void_entry.log_entry, void_entry.user_id) == ("V", "Voided ticket", "SAM")


def test_a_void_without_an_original_reference_is_visible_to_the_void_rule() -> None:
    parsed = run(document_bytes(_voided))
    assert parsed.events[0].facts["transaction"]["type"] == "VOID"
    assert parsed.events[0].facts["original_doc_refs"] == []


@pytest.mark.parametrize(("total", "expected"), [(25.0, "EXCHANGE"), (-25.0, "REFUND")])
def test_a_ticket_mixing_sale_and_return_lines_is_an_exchange_unless_money_goes_back(
    total: float, expected: str
) -> None:
    def mixed(hdr: dict[str, Any]) -> None:
        returned = dict(hdr["PS_DOC_LIN"][0], LIN_SEQ_NO=2, LIN_TYP="R", EXT_PRC=-324.99, PS_DOC_LIN_PRICE=[])
        hdr["PS_DOC_LIN"].append(returned)
        hdr["PS_DOC_HDR_TOT"][0]["TOT"] = total
        hdr["PS_DOC_PMT"][0]["AMT"] = total

    txn = one(run(document_bytes(mixed)), Transaction)
    assert (txn.type, txn.amount_cents) == (expected, 2500)


def test_a_quote_is_a_document_but_not_a_transaction() -> None:
    parsed = run(document_bytes(lambda hdr: hdr.update(DOC_TYP="Q")))
    assert [type(r).__name__ for r in parsed.records if isinstance(r, Transaction | LineItem | Tender)] == []
    assert one(parsed, Document).doc_type == "Q"
    assert (parsed.events[0].kind, parsed.events[0].facts["transaction"]) == ("document", None)


def test_an_order_is_a_transaction_with_order_status_and_an_unpaid_ticket_is_pending() -> None:
    order = one(run(document_bytes(lambda hdr: hdr.update(DOC_TYP="O"))), Transaction)
    pending = one(run(document_bytes(lambda hdr: hdr["PS_DOC_HDR_TOT"][0].update(AMT_DUE=100))), Transaction)
    assert (order.type, order.status) == ("SALE", "ORDER")
    assert pending.status == "PENDING"


def test_a_named_customer_is_linked_and_the_walk_in_customer_is_not() -> None:
    named = one(run(document_bytes(lambda hdr: hdr.update(CUST_NO="1000"))), Transaction)
    assert named.customer_id == "cp:customer:1000"
    assert one(run(document_bytes()), Transaction).customer_id is None


def test_two_audit_entries_with_one_sequence_number_are_refused() -> None:
    def doubled(hdr: dict[str, Any]) -> None:
        hdr["PS_DOC_AUDIT_LOG"].append(dict(hdr["PS_DOC_AUDIT_LOG"][0]))

    with pytest.raises(ParseError) as failure:
        parse(event(document_bytes(doubled)), context())
    assert failure.value.field == "PS_DOC_HDR.PS_DOC_AUDIT_LOG"


def test_a_posted_history_ticket_maps_to_the_same_shared_shape() -> None:
    (line,) = export_lines("ticket_history.jsonl")
    parsed = run(line, source_type="BATCH")
    doc, txn = one(parsed, Document), one(parsed, Transaction)
    assert (doc.origin, doc.doc_guid, doc.business_date, doc.total_cents) == (
        "HISTORY",
        "4f3c2b1a00004000800000000000a001",
        "2024-06-01",
        4358,
    )  # GUID de-hyphenated, lowercased
    assert (txn.type, txn.status, txn.amount_cents, txn.discount_cents, txn.customer_id) == (
        "SALE",
        "COMPLETED",
        4358,
        500,
        "cp:customer:1000",
    )
    fern = next(i for i in of_type(parsed, LineItem) if i.item_id == "FERN-1G")
    assert (fern.price_overridden, fern.override_reason, fern.discount_cents, fern.regular_price_cents) == (
        True,
        "DAMAGED",
        500,
        1999,
    )
    card = one(parsed, Tender)
    assert (card.tender_type, card.entry_method, card.authorized) == ("CARD", "SWIPED", True)
    assert parsed.events[0].facts["pricing_decisions"][0]["justification"] == "Override"


def test_a_document_seen_open_and_later_posted_keeps_one_transaction_id() -> None:
    posted = one(run(export_lines("ticket_history.jsonl")[0]), Transaction)
    open_doc = one(
        run(document_bytes(lambda hdr: hdr.update(DOC_GUID="4f3c2b1a00004000800000000000a001"))), Transaction
    )
    assert posted.id == open_doc.id == "cp:doc:4f3c2b1a00004000800000000000a001"
