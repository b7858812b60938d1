"""PS_DOC_HDR (or a posted PS_TKT_HIST row) → the document substrate: header with totals, taxes,
audit log, pricing decisions and original-document references.

The same mapping serves the API document and the history export; only the table names differ
(``Names``), so an error names the field as the payload spelled it.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.adapters.counterpoint import codes
from core.adapters.counterpoint.document_children import (
    audit_entry,
    original_ref,
    pick_totals,
    pricing,
    tax,
    unique,
)
from core.adapters.counterpoint.fields import Row, present
from core.adapters.counterpoint.keys import (
    document_external_id,
    document_id,
    location_id,
    normal_guid,
    store_zone,
)
from core.domain.documents import (
    AuditLogEntry,
    Document,
    DocumentOrigin,
    DocumentTax,
    OriginalDocRef,
    PricingDecision,
)
from core.domain.parsing import ParseContext, ParseError
from core.domain.records import Canonical, version_key


@dataclass(frozen=True)
class Names:
    header: str
    lines: str
    line_prices: str
    payments: str
    taxes: str
    totals: str
    original_docs: str
    audit_log: str = "PS_DOC_AUDIT_LOG"
    audit_totals: str = "PS_DOC_AUDIT_LOG_TOT"


API = Names(
    "PS_DOC_HDR",
    "PS_DOC_LIN",
    "PS_DOC_LIN_PRICE",
    "PS_DOC_PMT",
    "PS_DOC_TAX",
    "PS_DOC_HDR_TOT",
    "PS_DOC_HDR_ORIG_DOC",
)
HISTORY = Names(
    "PS_TKT_HIST",
    "PS_TKT_HIST_LIN",
    "PS_TKT_HIST_LIN_PRICE",
    "PS_TKT_HIST_PMT",
    "PS_TKT_HIST_TAX",
    "PS_TKT_HIST_TOT",
    "PS_TKT_HIST_ORIG_DOC",
)


@dataclass(frozen=True)
class DocumentParts:
    document: Document
    taxes: list[DocumentTax]
    audit_log: list[AuditLogEntry]
    pricing_decisions: list[PricingDecision]
    original_doc_refs: list[OriginalDocRef] | None  # None: the payload had no such array
    lines: list[Row]
    payments: list[Row]

    def records(self) -> list[Canonical]:
        return [
            self.document,
            *self.taxes,
            *self.audit_log,
            *self.pricing_decisions,
            *(self.original_doc_refs or []),
        ]


def map_document(hdr: Row, ctx: ParseContext, names: Names, origin: DocumentOrigin) -> DocumentParts:
    store, zone = store_zone(ctx, hdr)
    doc_no, guid = hdr.key_text("DOC_ID"), normal_guid(hdr.text("DOC_GUID"))
    external = document_external_id(guid, store, doc_no, field=hdr.field("DOC_GUID"))
    doc_id = document_id(external)
    updated = hdr.utc_time("RS_UTC_DT")
    local = hdr.local_time("TKT_DT", zone)
    if local is not None:
        occurred = local[0]
    elif updated is not None:
        occurred = updated
    else:
        raise ParseError("missing (and no RS_UTC_DT to fall back on)", field=hdr.field("TKT_DT"))
    version = version_key(updated or occurred)
    audit = unique(
        [
            audit_entry(row, doc_id, zone, version, names.audit_totals)
            for row in hdr.children(names.audit_log) or []
        ],
        hdr.field(names.audit_log),
    )
    doc_type = (hdr.text("DOC_TYP") or codes.DOC_TICKET).upper()  # [P] the column defaults to 'T'
    voided = doc_type == codes.DOC_VOID or any(entry.doc_type == codes.DOC_VOID for entry in audit)
    ref_rows = hdr.children(names.original_docs)
    refs = None
    if ref_rows is not None:
        refs = unique(
            [original_ref(row, doc_id, store, version, ctx) for row in ref_rows],
            hdr.field(names.original_docs),
        )
    # A posted PS_TKT_HIST row carries SUB_TOT/TOT on itself [P] when no totals array is exported.
    totals = pick_totals(hdr.children(names.totals)) or (hdr if hdr.has("TOT") else None)
    business_date = hdr.naive_time("BUS_DAT")
    maintained = hdr.local_time("LST_MAINT_DT", zone)
    lines = hdr.children(names.lines) or []
    document = Document(
        id=doc_id,
        origin=origin,
        external_id=external,
        doc_type=doc_type,
        store_id=store,
        location_id=location_id(store),
        occurred_at=occurred,
        voided=voided,
        version_key=version,
        **present(
            doc_guid=guid,
            doc_id=doc_no,
            ticket_type=hdr.text("TKT_TYP"),
            station_id=hdr.text("STA_ID"),
            drawer_id=hdr.text("DRW_ID"),
            drawer_session_id=hdr.key_text("DRW_SESSION_ID"),
            user_id=hdr.text("USR_ID"),
            sales_rep=hdr.text("SLS_REP"),
            customer_no=hdr.text("CUST_NO"),
            ticket_number=hdr.text("TKT_NO"),
            business_date=business_date.date().isoformat() if business_date else None,
            committed=hdr.flag("IS_DOC_COMMITTED"),
            release_ticket=hdr.flag("IS_REL_TKT"),
            offline=hdr.flag("IS_OFFLINE"),
            times_printed=hdr.integer("TIMES_PRTD"),
            tax_code=hdr.text("TAX_COD"),
            normal_tax_code=hdr.text("NORM_TAX_COD"),
            sale_lines=hdr.integer("SAL_LINS"),
            return_lines=hdr.integer("RET_LINS"),
            sale_line_total_cents=hdr.cents("SAL_LIN_TOT"),
            return_line_total_cents=hdr.cents("RET_LIN_TOT"),
            original_doc_ref_count=None if refs is None else len(refs),
            local_occurred_at=local[1] if local else None,
            vendor_updated_at=updated,
            last_maintained_at=maintained[0] if maintained else None,
            last_maintained_by=hdr.text("LST_MAINT_USR_ID"),
            **(_totals(totals) if totals is not None else {}),
        ),
    )
    decisions = [decision for row in lines for decision in pricing(row, doc_id, version, names.line_prices)]
    taxes = [tax(row, doc_id, version) for row in hdr.children(names.taxes) or []]
    return DocumentParts(
        document=document,
        taxes=unique(taxes, hdr.field(names.taxes)),
        audit_log=audit,
        pricing_decisions=unique(decisions, hdr.field(names.lines)),
        original_doc_refs=refs,
        lines=lines,
        payments=hdr.children(names.payments) or [],
    )


def _totals(row: Row) -> dict[str, object]:
    return present(
        totals_type=row.text("TOT_TYP"),
        subtotal_cents=row.cents("SUB_TOT"),
        tax_cents=row.cents("TAX_AMT"),
        normal_tax_cents=row.cents("NORM_TAX_AMT"),
        total_cents=row.cents("TOT"),
        tendered_cents=row.cents("TOT_TND"),
        change_cents=row.cents("TOT_CHNG"),
        amount_due_cents=row.cents("AMT_DUE"),
        header_discount_cents=row.cents("TOT_HDR_DISC"),
        line_discount_cents=row.cents("TOT_LIN_DISC"),
        ext_cost_cents=row.cents("TOT_EXT_COST"),
        misc_charge_cents=row.cents("TOT_MISC"),
        line_count=row.integer("LINS"),
    )
