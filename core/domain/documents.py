"""The document substrate (``sales`` schema): what a Counterpoint ticket says beyond the shared
``Transaction`` — its header flags and totals, per-authority taxes, audit trail, pricing decisions
and links to originating documents (seed Q.1.1, Q.1.4–Q.1.7).

A document and the ``Transaction`` it produces share one id (``cp:doc:<DOC_GUID>``, or
``cp:doc:<STR_ID>:<DOC_ID>`` when the GUID is absent), so every child here joins either. Vendor codes
(DOC_TYP, ACTIV, PRC_GRP_TYP …) are kept verbatim because the rules pattern-match on them and their
meanings are not public; docs/counterpoint.md gives each reading with its evidence level.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from sqlmodel import Field

from core.domain.columns import UTCDateTime
from core.domain.records import Canonical


class DocumentOrigin(StrEnum):
    DOCUMENT = "DOCUMENT"  # PS_DOC_HDR: an open or not-yet-posted document (GET /Document)
    HISTORY = "HISTORY"  # PS_TKT_HIST: a posted ticket, from a SQL export


class Document(Canonical):
    """PS_DOC_HDR (or PS_TKT_HIST) with its PS_DOC_HDR_TOT totals folded in. Money is cents with the
    vendor's sign (a return ticket has negative totals), unlike ``Transaction`` which is unsigned."""

    id: str = Field(primary_key=True, max_length=160)
    source: str = Field(default="COUNTERPOINT", max_length=16)
    origin: str = Field(max_length=16)  # DocumentOrigin
    external_id: str = Field(max_length=128)  # DOC_GUID, or STR_ID:DOC_ID
    doc_guid: str | None = Field(default=None, max_length=64)
    doc_id: str | None = Field(default=None, max_length=32, index=True)  # not unique across stores
    doc_type: str = Field(max_length=4)  # DOC_TYP verbatim: T ticket, O order, Q quote
    ticket_type: str | None = Field(default=None, max_length=4)  # TKT_TYP verbatim
    store_id: str = Field(max_length=32, index=True)  # STR_ID
    location_id: str = Field(max_length=128)
    station_id: str | None = Field(default=None, max_length=32)
    drawer_id: str | None = Field(default=None, max_length=32)
    drawer_session_id: str | None = Field(default=None, max_length=32)  # DRW_SESSION_ID verbatim
    user_id: str | None = Field(default=None, max_length=32)
    sales_rep: str | None = Field(default=None, max_length=32)
    customer_no: str | None = Field(default=None, max_length=32)  # verbatim, incl. the walk-in "CASH"
    ticket_number: str | None = Field(default=None, max_length=32)
    business_date: str | None = Field(default=None, max_length=10)  # BUS_DAT (history), YYYY-MM-DD
    committed: bool | None = None  # IS_DOC_COMMITTED
    release_ticket: bool | None = None  # IS_REL_TKT: releases an order or layaway
    offline: bool | None = None
    voided: bool = False  # an audit entry (or the header) carries DOC_TYP 'V'
    times_printed: int | None = None
    tax_code: str | None = Field(default=None, max_length=32)
    normal_tax_code: str | None = Field(default=None, max_length=32)
    sale_lines: int | None = None
    return_lines: int | None = None
    sale_line_total_cents: int | None = None
    return_line_total_cents: int | None = None
    totals_type: str | None = Field(default=None, max_length=4)  # TOT_TYP of the totals row used
    subtotal_cents: int | None = None
    tax_cents: int | None = None
    normal_tax_cents: int | None = None
    total_cents: int | None = None
    tendered_cents: int | None = None
    change_cents: int | None = None
    amount_due_cents: int | None = None
    header_discount_cents: int | None = None
    line_discount_cents: int | None = None
    ext_cost_cents: int | None = None
    misc_charge_cents: int | None = None
    line_count: int | None = None
    # None: the payload had no PS_DOC_HDR_ORIG_DOC array; 0: the array was present and empty. Q-VR-01
    # treats these differently ("no link" is suspicious, "no array" is a substrate gap).
    original_doc_ref_count: int | None = None
    occurred_at: datetime = Field(sa_type=UTCDateTime, index=True)  # TKT_DT in the store's zone
    local_occurred_at: str | None = Field(default=None, max_length=32)
    vendor_updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # RS_UTC_DT
    last_maintained_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_maintained_by: str | None = Field(default=None, max_length=32)


class DocumentTax(Canonical):
    """PS_DOC_TAX: one row per taxing authority and rule (seed Q.1.4, rule Q-TC-01)."""

    natural_key: ClassVar[tuple[str, ...]] = ("document_id", "doc_part", "authority", "rule_code")

    document_id: str = Field(primary_key=True, max_length=160)
    doc_part: str = Field(primary_key=True, max_length=4)  # TAX_DOC_PART: S sale, O order
    authority: str = Field(primary_key=True, max_length=32)  # AUTH_COD
    rule_code: str = Field(primary_key=True, max_length=32)  # RUL_COD
    line_amount_cents: int | None = None
    taxable_line_amount_cents: int | None = None
    taxable_quantity: float | None = None
    tax_cents: int = 0
    normal_tax_cents: int | None = None
    total_taxable_cents: int | None = None


class AuditLogEntry(Canonical):
    """PS_DOC_AUDIT_LOG. ``activity`` (ACTIV) and ``log_entry`` are verbatim: the ACTIV code list is
    not public, so rules match on both (seed contract: "preserved verbatim")."""

    natural_key: ClassVar[tuple[str, ...]] = ("document_id", "seq")

    document_id: str = Field(primary_key=True, max_length=160)
    seq: int = Field(primary_key=True)  # LOG_SEQ_NO
    doc_type: str | None = Field(default=None, max_length=4)  # the log row's DOC_TYP; 'V' marks a void
    activity: str | None = Field(default=None, max_length=8)
    log_entry: str | None = Field(default=None, max_length=500)
    user_id: str | None = Field(default=None, max_length=32)
    store_id: str | None = Field(default=None, max_length=32)
    station_id: str | None = Field(default=None, max_length=32)
    drawer_id: str | None = Field(default=None, max_length=32)
    workstation: str | None = Field(default=None, max_length=64)  # CURR_WKSTN_NAM (a machine name)
    occurred_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    local_occurred_at: str | None = Field(default=None, max_length=32)
    # PS_DOC_AUDIT_LOG_TOT: the totals as they stood at this entry (tender-swap replay, Q-TM-02).
    total_cents: int | None = None
    tendered_cents: int | None = None
    change_cents: int | None = None
    amount_due_cents: int | None = None
    line_count: int | None = None


class PricingDecision(Canonical):
    """PS_DOC_LIN_PRICE: how a line's price was reached (seed Q.1.6)."""

    natural_key: ClassVar[tuple[str, ...]] = ("document_id", "line_no", "seq")

    document_id: str = Field(primary_key=True, max_length=160)
    line_no: str = Field(primary_key=True, max_length=64)  # LIN_SEQ_NO, as LineItem.line_no
    seq: int = Field(primary_key=True)  # PRC_SEQ_NO
    justification: str | None = Field(default=None, max_length=200)  # PRC_JUST_STR, e.g. "Price-1"
    group_type: str | None = Field(default=None, max_length=8)  # PRC_GRP_TYP ('!' = none [I])
    rule_seq: int | None = None  # PRC_RUL_SEQ_NO (-1 = no rule [I])
    break_description: str | None = Field(default=None, max_length=64)  # PRC_BRK_DESCR
    unit_price_cents: int | None = None
    quantity_priced: float | None = None


class OriginalDocRef(Canonical):
    """PS_DOC_HDR_ORIG_DOC: a return, void or release pointing at the document it came from.
    ``original_transaction_id`` is filled only when the reference can be resolved without guessing
    (an ORIG_DOC_GUID, or the look-up in ParseContext); otherwise join on (store_id, doc_id)."""

    natural_key: ClassVar[tuple[str, ...]] = ("document_id", "original_doc_id")

    document_id: str = Field(primary_key=True, max_length=160)
    original_doc_id: str = Field(primary_key=True, max_length=32)  # ORIG_DOC_ID
    original_store_id: str | None = Field(default=None, max_length=32)
    original_doc_guid: str | None = Field(default=None, max_length=64)
    original_doc_type: str | None = Field(default=None, max_length=4)
    original_ticket_number: str | None = Field(default=None, max_length=32)
    original_transaction_id: str | None = Field(default=None, max_length=160, index=True)
