"""One shared shape for both vendors, field coverage for the scorecard, and a table for every record.

The Square adapter is built separately; the Square-like sale below is what docs/design.md and the Square
payment sample (payment.updated: location S8GWD5R9QB376, receipt hYy9, 100 USD) make of a card sale."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import select

from core.adapters.counterpoint.coverage import RECORDS, field_coverage
from core.db.uow import Database
from core.domain.documents import Document
from core.domain.parsing import Parsed
from core.domain.sales import LineItem, Tender, Transaction
from core.storage.canonical_writer import write_records

from .support import APIGUIDE, SALE_ID, document_bytes, export_lines, one, run

SQUARE_LIKE = Transaction(
    id="sq:order:03O3USaPaAaFnI6kkwB1JxGgBsUZY",
    type="SALE",
    status="COMPLETED",
    source="SQUARE",
    source_type="WEBHOOK",
    external_id="03O3USaPaAaFnI6kkwB1JxGgBsUZY",
    ticket_number="hYy9",
    location_id="sq:location:S8GWD5R9QB376",
    device_id="sq:device:DEV-1",
    employee_id="sq:employee:TM-1",
    amount_cents=100,
    subtotal_cents=100,
    tax_cents=0,
    discount_cents=0,
    tip_cents=0,
    occurred_at=datetime(2020, 11, 22, 21, 16, 51, tzinfo=UTC),
    local_occurred_at="2020-11-22T15:16:51",
)
# Concepts both vendors have. Counterpoint adds drawer_session_id; Square adds tip_cents and order_id.
OVERLAP = [
    "id",
    "type",
    "status",
    "source",
    "source_type",
    "external_id",
    "ticket_number",
    "location_id",
    "device_id",
    "employee_id",
    "currency",
    "amount_cents",
    "subtotal_cents",
    "tax_cents",
    "discount_cents",
    "occurred_at",
    "local_occurred_at",
]


def _populated(record: Any, fields: list[str]) -> dict[str, type]:
    return {name: type(getattr(record, name)) for name in fields if getattr(record, name) is not None}


def test_a_counterpoint_sale_and_a_square_sale_populate_the_same_transaction_fields() -> None:
    counterpoint = one(run(document_bytes()), Transaction)
    assert _populated(counterpoint, OVERLAP) == _populated(SQUARE_LIKE, OVERLAP)
    assert set(_populated(counterpoint, OVERLAP)) == set(OVERLAP)
    assert counterpoint.occurred_at.tzinfo is UTC
    assert counterpoint.type == SQUARE_LIKE.type


def test_both_vendors_name_places_devices_and_people_the_same_way() -> None:
    counterpoint = one(run(document_bytes()), Transaction)
    # Transaction ids differ by design: Square keys a sale on its order, Counterpoint on its document.
    for field in ("location_id", "device_id", "employee_id"):
        assert getattr(counterpoint, field).split(":")[1] == getattr(SQUARE_LIKE, field).split(":")[1]


def test_line_items_and_tenders_fill_the_fields_the_rules_read() -> None:
    parsed = run(document_bytes())
    line, tender = one(parsed, LineItem), one(parsed, Tender)
    for field in (
        "transaction_id",
        "line_no",
        "line_type",
        "item_id",
        "category_id",
        "quantity",
        "unit_price_cents",
        "regular_price_cents",
        "unit_cost_cents",
        "extended_price_cents",
        "extended_cost_cents",
        "price_overridden",
        "mix_match_code",
        "discountable",
    ):
        assert field in line.model_fields_set, field
    for field in (
        "tender_no",
        "tender_type",
        "pay_code",
        "amount_cents",
        "new_card",
        "employee_id",
        "device_id",
    ):
        assert field in tender.model_fields_set, field


def test_coverage_counts_fields_the_vendor_sent_and_not_defaults() -> None:
    with_flag = run(document_bytes())
    without_flag = run(document_bytes(lambda hdr: hdr["PS_DOC_LIN"][0].pop("HAS_PRC_OVRD")))
    coverage = field_coverage([*with_flag.records, *without_flag.records])
    assert coverage["LineItem"][RECORDS] == 2
    assert coverage["LineItem"]["price_overridden"] == 1  # False was sent once; the default does not count
    assert coverage["Document"]["doc_guid"] == 2
    assert coverage["Document"]["business_date"] == 0
    assert coverage["Transaction"]["tip_cents"] == 0
    assert coverage["Transaction"]["drawer_session_id"] == 2
    assert "version_key" not in coverage["Document"]
    assert set(coverage["Document"]) == {RECORDS, *(f for f in Document.model_fields if f != "version_key")}


def _substrate_tables() -> Any:
    """Imported on use, not at collection: until the substrate tables have their Alembic revision,
    registering them for the whole session would put them in the Postgres schema-drift check."""
    import core.db.tables.documents

    return core.db.tables.documents


def test_every_record_the_adapter_produces_is_stored_and_read_back(sqlite_db: Database) -> None:
    tables = _substrate_tables()
    tables.DocumentRow.metadata.create_all(sqlite_db.engine)
    units = [
        document_bytes(),
        (APIGUIDE / "GET_Store.response1.json").read_bytes(),
        (APIGUIDE / "GET_ItemCategories.response1.json").read_bytes(),
        (APIGUIDE / "GET_Customers.response1.json").read_bytes(),
        document_bytes(lambda hdr: hdr.update(DOC_GUID="ab" * 16, PS_DOC_HDR_ORIG_DOC=[{"ORIG_DOC_ID": 7}])),
        *[
            line
            for name in (
                "ticket_history.jsonl",
                "transfers.jsonl",
                "receivers.jsonl",
                "returns_to_vendor.jsonl",
                "adjustments.jsonl",
            )
            for line in export_lines(name)
        ],
    ]
    records = [record for raw in units for record in run(raw).records]
    with sqlite_db.tenant("m_test") as session:
        written = write_records(session, "m_test", 1, records)
        write_records(session, "m_test", 2, records)  # a redelivery changes nothing
    assert written == len(records)
    with sqlite_db.tenant("m_test") as session:
        stored = session.exec(select(tables.DocumentRow).where(tables.DocumentRow.id == SALE_ID)).one()
        assert (stored.total_cents, stored.occurred_at, stored.evidence_seq) == (
            38149,
            datetime(2016, 4, 25, 2, 38, 45, tzinfo=UTC),
            2,
        )
        assert session.exec(select(tables.OriginalDocRefRow)).one().original_doc_id == "7"
        assert len(session.exec(select(tables.TransferLineRow)).all()) == 6


def test_facts_round_trip_into_records_for_a_consumer() -> None:
    parsed: Parsed = run(document_bytes())
    facts = parsed.events[0].facts
    assert Transaction.model_validate(facts["transaction"]) == one(parsed, Transaction)
    assert Document.model_validate(facts["document"]) == one(parsed, Document)


def test_each_substrate_table_is_keyed_on_the_tenant_and_its_records_natural_key() -> None:
    tables = [
        cls
        for cls in vars(_substrate_tables()).values()
        if isinstance(cls, type)
        and getattr(cls, "__table__", None) is not None
        and cls.__module__.endswith("documents")
    ]
    assert len(tables) == 14
    for cls in tables:
        primary = [column.name for column in cls.__table__.primary_key]  # type: ignore[attr-defined]
        assert primary == ["merchant_id", *cls.natural_key], cls.__name__
