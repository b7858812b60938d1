"""Bad input fails with a ParseError that names the field, and one bad unit in a batch directory
does not stop the others."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.adapters.counterpoint.batch import iter_batch
from core.adapters.counterpoint.parser import parse
from core.domain.parsing import Ignored, Parsed, ParseError

from .support import APIGUIDE, EXPORTS, context, document_bytes, event, export_lines


def _field_of(raw: bytes, **ctx_args: Any) -> str | None:
    with pytest.raises(ParseError) as failure:
        parse(event(raw), context(**ctx_args))
    return failure.value.field


@pytest.mark.parametrize(
    "raw",
    [
        b'{"PS_DOC_HDR": null, "ErrorCode": "SUCCESS"}',
        b'{"PS_DOC_LIN": [{"LIN_SEQ_NO": 1}], "PS_DOC_PMT": [], "ErrorCode": "SUCCESS"}',
        b'{"PS_DOC_HDR": ["not", "an", "object"], "ErrorCode": "SUCCESS"}',
    ],
    ids=["header-null", "children-without-header", "header-not-an-object"],
)
def test_a_document_missing_its_header_names_the_header(raw: bytes) -> None:
    assert _field_of(raw) == "PS_DOC_HDR"


def test_an_export_row_missing_its_header_names_the_table() -> None:
    raw = json.dumps({"table": "PS_TKT_HIST", "children": {"PS_TKT_HIST_LIN": []}}).encode()
    assert _field_of(raw) == "PS_TKT_HIST"


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("PS_DOC_PMT", 0, "AMT"), "abc", "PS_DOC_HDR.PS_DOC_PMT[0].AMT"),
        (("PS_DOC_LIN", 0, "PRC"), True, "PS_DOC_HDR.PS_DOC_LIN[0].PRC"),
        (("PS_DOC_HDR_TOT", 0, "TOT"), "12,50", "PS_DOC_HDR.PS_DOC_HDR_TOT[0].TOT"),
        (("PS_DOC_TAX", 1, "TAX_AMT"), {"value": 10.5}, "PS_DOC_HDR.PS_DOC_TAX[1].TAX_AMT"),
        (
            ("PS_DOC_LIN", 0, "PS_DOC_LIN_PRICE", 0, "UNIT_PRC"),
            "n/a",
            "PS_DOC_HDR.PS_DOC_LIN[0].PS_DOC_LIN_PRICE[0].UNIT_PRC",
        ),
        (("PS_DOC_AUDIT_LOG", 0, "LOG_SEQ_NO"), 1.5, "PS_DOC_HDR.PS_DOC_AUDIT_LOG[0].LOG_SEQ_NO"),
        (("TKT_DT",), "yesterday", "PS_DOC_HDR.TKT_DT"),
    ],
    ids=[
        "payment-amount-text",
        "line-price-boolean",
        "total-comma-decimal",
        "tax-object",
        "unit-price",
        "log-seq",
        "ticket-date",
    ],
)
def test_a_non_numeric_or_malformed_value_names_its_field(
    path: tuple[Any, ...], value: Any, field: str
) -> None:
    def corrupt(hdr: dict[str, Any]) -> None:
        target: Any = hdr
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    assert _field_of(document_bytes(corrupt)) == field


def test_numeric_strings_are_read_as_numbers_as_post_bodies_and_exports_send_them() -> None:
    outcome = parse(event(document_bytes(lambda hdr: hdr["PS_DOC_PMT"][0].update(AMT="381.49"))), context())
    assert isinstance(outcome, Parsed)
    assert outcome.events[0].facts["tenders"][0]["amount_cents"] == 38149


def test_nan_is_not_a_number() -> None:
    raw = document_bytes().replace(b'"AMT": 381.49', b'"AMT": NaN')
    with pytest.raises(ParseError, match="NaN"):
        parse(event(raw), context())


@pytest.mark.parametrize("lookups", [True, False], ids=["store-lookup", "timezone-lookup-only"])
def test_an_unknown_store_names_the_store_field(lookups: bool) -> None:
    raw = document_bytes(lambda hdr: hdr.update(STR_ID="99"))
    assert _field_of(raw, lookups=lookups) == "PS_DOC_HDR.STR_ID"


def test_a_document_with_neither_guid_nor_id_cannot_be_keyed() -> None:
    def anonymous(hdr: dict[str, Any]) -> None:
        del hdr["DOC_GUID"], hdr["DOC_ID"]

    assert _field_of(document_bytes(anonymous)) == "PS_DOC_HDR.DOC_GUID"


def test_without_a_guid_the_document_is_keyed_on_store_and_doc_id() -> None:
    outcome = parse(event(document_bytes(lambda hdr: hdr.pop("DOC_GUID"))), context())
    assert isinstance(outcome, Parsed)
    assert outcome.events[0].entity_id == "cp:doc:20:701315942121"


@pytest.mark.parametrize(
    "raw",
    [b"\xff\xfe\x00garbage", b"[1, 2, 3]", b"", b'{"PS_DOC_HDR": '],
    ids=["not-utf8", "array", "empty", "truncated"],
)
def test_bytes_that_are_not_one_json_object_fail_visibly(raw: bytes) -> None:
    with pytest.raises(ParseError):
        parse(event(raw), context())


def test_an_unmapped_export_table_is_ignored_with_the_mapped_list() -> None:
    outcome = parse(event(b'{"table": "IM_CNT_HIST", "row": {"ITEM_NO": "X"}}'), context())
    assert isinstance(outcome, Ignored)
    assert "IM_CNT_HIST is not mapped" in outcome.reason
    assert "PS_TKT_HIST" in outcome.reason


def test_one_bad_unit_in_a_batch_directory_does_not_stop_the_others(tmp_path: Path) -> None:
    (tmp_path / "01_sale.json").write_bytes((APIGUIDE / "GET_Document.response1.json").read_bytes())
    (tmp_path / "02_bad_amount.json").write_bytes(
        document_bytes(lambda hdr: hdr["PS_DOC_PMT"][0].update(AMT="abc"))
    )
    (tmp_path / "03_no_header.json").write_bytes(b'{"ErrorCode": "SUCCESS", "PS_DOC_PMT": []}')
    (tmp_path / "04_unknown_store.json").write_bytes(document_bytes(lambda hdr: hdr.update(STR_ID="99")))
    (tmp_path / "05_exports.jsonl").write_bytes(
        export_lines("transfers.jsonl")[0]
        + b"\n\nthis line is not json\n"
        + export_lines("adjustments.jsonl")[0]
        + b"\n"
    )
    (tmp_path / "06_store.json").write_bytes((APIGUIDE / "GET_Store.response1.json").read_bytes())
    (tmp_path / "notes.txt").write_text("not a unit")

    results: list[str] = []
    for unit in iter_batch(tmp_path):
        try:
            outcome = parse(event(unit.raw, source_type="BATCH"), context())
        except ParseError as failure:
            results.append(f"failed:{failure.field}")
        else:
            results.append("parsed" if isinstance(outcome, Parsed) else "ignored")
    assert results == [
        "parsed",
        "failed:PS_DOC_HDR.PS_DOC_PMT[0].AMT",
        "failed:PS_DOC_HDR",
        "failed:PS_DOC_HDR.STR_ID",
        "parsed",
        "failed:None",
        "parsed",
        "parsed",
    ]


def test_every_fixture_export_line_parses() -> None:
    units = list(iter_batch(EXPORTS))
    assert len(units) == 10  # 1 ticket, 4 transfer sides, 2 receivers, 1 RTV, 2 adjustments
    assert all(isinstance(parse(event(unit.raw), context()), Parsed) for unit in units)
