"""The children of a Counterpoint document: audit log, pricing decisions, taxes and references to
originating documents. Each takes the child object (a ``Row`` carrying its path for errors) and the
owning document's id and version.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar
from zoneinfo import ZoneInfo

from core.adapters.counterpoint.fields import Row, present
from core.adapters.counterpoint.keys import document_id, lookups, normal_guid
from core.domain.documents import AuditLogEntry, DocumentTax, OriginalDocRef, PricingDecision
from core.domain.parsing import ParseContext, ParseError
from core.domain.records import Canonical

C = TypeVar("C", bound=Canonical)


def pick_totals(rows: list[Row] | None) -> Row | None:
    """PS_DOC_HDR_TOT (and PS_DOC_AUDIT_LOG_TOT) hold one row per TOT_TYP; the sale totals ('S')
    describe the ticket [S][P]."""
    for row in rows or []:
        if (row.text("TOT_TYP") or "").upper() == "S":
            return row
    return rows[0] if rows else None


def audit_entry(row: Row, doc_id: str, zone: ZoneInfo, version: str, totals_key: str) -> AuditLogEntry:
    # CURR_DT is read in the document's store zone: a cross-zone hand-off is not modelled.
    at = row.local_time("CURR_DT", zone)
    snapshot = pick_totals(row.children(totals_key))
    return AuditLogEntry(
        document_id=doc_id,
        seq=row.require_integer("LOG_SEQ_NO"),
        version_key=version,
        **present(
            doc_type=row.text("DOC_TYP"),
            activity=row.text("ACTIV"),
            log_entry=_verbatim(row, "LOG_ENTRY"),
            user_id=row.text("CURR_USR_ID"),
            store_id=row.text("CURR_STR_ID"),
            station_id=row.text("CURR_STA_ID"),
            drawer_id=row.text("CURR_DRW_ID"),
            workstation=row.text("CURR_WKSTN_NAM"),
            occurred_at=at[0] if at else None,
            local_occurred_at=at[1] if at else None,
            total_cents=snapshot.cents("TOT") if snapshot else None,
            tendered_cents=snapshot.cents("TOT_TND") if snapshot else None,
            change_cents=snapshot.cents("TOT_CHNG") if snapshot else None,
            amount_due_cents=snapshot.cents("AMT_DUE") if snapshot else None,
            line_count=snapshot.integer("LINS") if snapshot else None,
        ),
    )


def _verbatim(row: Row, key: str) -> str | None:
    """LOG_ENTRY as written (rules match on it), without the padding a CHAR column may add."""
    value = row.data.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ParseError(f"expected text, got {type(value).__name__}", field=row.field(key))
    return value.rstrip()


def pricing(line: Row, doc_id: str, version: str, prices_key: str) -> Iterable[PricingDecision]:
    line_no = line.require_key("LIN_SEQ_NO")
    for index, row in enumerate(line.children(prices_key) or []):
        yield PricingDecision(
            document_id=doc_id,
            line_no=line_no,
            seq=row.integer("PRC_SEQ_NO") or index + 1,
            version_key=version,
            **present(
                justification=row.text("PRC_JUST_STR"),
                group_type=row.text("PRC_GRP_TYP"),
                rule_seq=row.integer("PRC_RUL_SEQ_NO"),
                break_description=row.text("PRC_BRK_DESCR"),
                unit_price_cents=row.cents("UNIT_PRC"),
                quantity_priced=row.number("QTY_PRCD"),
            ),
        )


def tax(row: Row, doc_id: str, version: str) -> DocumentTax:
    return DocumentTax(
        document_id=doc_id,
        doc_part=row.text("TAX_DOC_PART") or "S",
        authority=row.require_text("AUTH_COD"),
        rule_code=row.text("RUL_COD") or "",
        tax_cents=row.cents("TAX_AMT") or 0,
        version_key=version,
        **present(
            line_amount_cents=row.cents("LIN_AMT"),
            taxable_line_amount_cents=row.cents("TXBL_LIN_AMT"),
            taxable_quantity=row.number("TXBL_QTY"),
            normal_tax_cents=row.cents("NORM_TAX_AMT"),
            total_taxable_cents=row.cents("TOT_TXBL_AMT"),
        ),
    )


def original_ref(row: Row, doc_id: str, store: str, version: str, ctx: ParseContext) -> OriginalDocRef:
    """[P] ORIG_DOC_ID is the column third-party code reads; ORIG_STR_ID, ORIG_DOC_GUID, ORIG_TKT_NO
    and ORIG_DOC_TYP are [I] names, read when an export or a newer API version supplies them."""
    original = row.require_key("ORIG_DOC_ID")
    original_store = row.text("ORIG_STR_ID") or store
    guid = normal_guid(row.text("ORIG_DOC_GUID"))
    known = lookups(ctx)
    resolved = document_id(guid) if guid else (known.document_id(original_store, original) if known else None)
    return OriginalDocRef(
        document_id=doc_id,
        original_doc_id=original,
        original_store_id=original_store,
        version_key=version,
        **present(
            original_doc_guid=guid,
            original_doc_type=row.text("ORIG_DOC_TYP"),
            original_ticket_number=row.text("ORIG_TKT_NO"),
            original_transaction_id=resolved,
        ),
    )


def unique(records: Sequence[C], field: str) -> list[C]:
    """Two children with one natural key would silently overwrite each other on upsert: refuse."""
    seen: set[tuple[object, ...]] = set()
    for record in records:
        key = tuple(getattr(record, name) for name in record.natural_key)
        if key in seen:
            raise ParseError(f"duplicate entry {key[1:]}", field=field)
        seen.add(key)
    return list(records)
