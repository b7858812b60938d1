"""What the simulator says Counterpoint sent: documents and reference responses with NCR's field names,
export rows in the adapter's layout, all of it parsed by Canary's Counterpoint adapter."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from core.adapters.counterpoint.parser import parse
from core.domain.parsing import Ignored, Parsed
from core.simulate import build_world, stream, write
from tests.integration.simulate.support import FIXTURES, batch_units, contexts, raw_event

APIGUIDE = FIXTURES / "counterpoint" / "apiguide"
# Names NCR's single sample cannot show: the override reason history rows carry [P], and the
# original-document reference columns third-party code reads [P][I] (the sample's array is empty).
LINE_EXTRAS = {"PRC_OVRD_REAS"}
ORIG_DOC_KEYS = {"DOC_ID", "ORIG_DOC_ID", "ORIG_STR_ID", "ORIG_DOC_GUID", "ORIG_TKT_NO", "ORIG_DOC_TYP"}
CUSTOMER_EXTRAS = {"EMAIL_ADRS_1", "IS_TAX_EXEMPT", "CR_LIM"}  # read by the adapter; absent from NCR's sample


def _sample(name: str) -> dict[str, Any]:
    return json.loads((APIGUIDE / name).read_text())  # type: ignore[no-any-return]


def _units(root: Path, suffix: str) -> list[dict[str, Any]]:
    return [json.loads(raw) for name, raw in batch_units(root) if name.endswith(suffix)]


def test_every_counterpoint_unit_parses_with_the_counterpoint_adapter(written: Path) -> None:
    _, counterpoint = contexts(written)
    outcomes: Counter[str] = Counter()
    for name, raw in batch_units(written):
        outcome = parse(raw_event(raw, "COUNTERPOINT", "BATCH"), counterpoint)
        if isinstance(outcome, Ignored):  # the item master is not substrate (yet): see docs/simulator.md
            assert "item master" in outcome.reason, (name, outcome.reason)
        else:
            assert isinstance(outcome, Parsed), name
            assert outcome.events, name
        outcomes[name.split("-")[-1]] += 1
    for kind in (
        "documents.jsonl",
        "PO_RECVR_HIST.jsonl",
        "IM_XFER_HDR.jsonl",
        "IM_XFER_IN_HIST.jsonl",
        "PO_RTV_HIST.jsonl",
        "IM_ADJ_HIST.jsonl",
        "customers.jsonl",
        "items.jsonl",
    ):
        assert outcomes[kind], kind


def test_documents_use_the_field_names_of_ncrs_document_sample(written: Path) -> None:
    sample = _sample("GET_Document.response1.json")["PS_DOC_HDR"]
    children = {k for k, v in sample.items() if isinstance(v, list)}
    allowed = {
        "PS_DOC_LIN": set(sample["PS_DOC_LIN"][0]) | LINE_EXTRAS,
        "PS_DOC_PMT": set(sample["PS_DOC_PMT"][0]),
        "PS_DOC_TAX": set(sample["PS_DOC_TAX"][0]),
        "PS_DOC_HDR_TOT": set(sample["PS_DOC_HDR_TOT"][0]),
        "PS_DOC_AUDIT_LOG": set(sample["PS_DOC_AUDIT_LOG"][0]),
        "PS_DOC_HDR_ORIG_DOC": ORIG_DOC_KEYS,
    }
    price_keys = set(sample["PS_DOC_LIN"][0]["PS_DOC_LIN_PRICE"][0])
    documents = _units(written, "documents.jsonl")
    assert len(documents) > 1000
    for response in documents:
        assert set(response) == {"PS_DOC_HDR", "ErrorCode"}
        header = response["PS_DOC_HDR"]
        assert set(header) - children <= set(sample) - children
        assert {k for k, v in header.items() if isinstance(v, list)} == children
        for key, keys in allowed.items():
            for row in header[key]:
                assert set(row) <= keys, (key, set(row) - keys)
        for line in header["PS_DOC_LIN"]:
            assert all(set(price) <= price_keys for price in line["PS_DOC_LIN_PRICE"])


def test_every_document_balances(written: Path) -> None:
    """Lines add up to the subtotal, subtotal plus tax to the total, and the tenders pay it."""
    for response in _units(written, "documents.jsonl"):
        header = response["PS_DOC_HDR"]
        totals = header["PS_DOC_HDR_TOT"][0]
        cents = round(sum(line["EXT_PRC"] for line in header["PS_DOC_LIN"]) * 100)
        assert cents == round(totals["SUB_TOT"] * 100)
        assert round(totals["SUB_TOT"] * 100) + round(totals["TAX_AMT"] * 100) == round(totals["TOT"] * 100)
        assert round(sum(p["AMT"] for p in header["PS_DOC_PMT"]) * 100) == round(totals["TOT"] * 100)
        assert round(sum(t["TAX_AMT"] for t in header["PS_DOC_TAX"]) * 100) == round(totals["TAX_AMT"] * 100)


def test_reference_responses_use_the_field_names_of_ncrs_samples(written: Path) -> None:
    batch = written / "counterpoint/batch"
    store_sample = _sample("GET_Store.response1.json")["PS_STR"]
    for path in batch.glob("00-Store-*.json"):
        store = json.loads(path.read_text())["PS_STR"]
        assert set(store) <= set(store_sample)
        assert set(store["PS_STR_CFG_PS"]) <= set(store_sample["PS_STR_CFG_PS"])
        assert store["PS_STR_CFG_PS"]["MAX_DISC_PCT"] in (25, 30)
    category_keys = set(_sample("GET_ItemCategories.response1.json")["ItemCategories"][0])
    for category in json.loads((batch / "01-ItemCategories.json").read_text())["ItemCategories"]:
        assert set(category) <= category_keys
        assert category["MIN_PFT_PCT"] < category["TRGT_PFT_PCT"]
    item_keys = set(_sample("GET_Item.response1.json")["IM_ITEM"])
    assert all(set(i) <= item_keys for i in json.loads((batch / "02-Items.json").read_text())["Items"])
    customer_keys = set(_sample("GET_Customer.response1.json")["AR_CUST"]) | CUSTOMER_EXTRAS
    customers = json.loads((batch / "03-Customers.json").read_text())["Customers"]
    assert {c["CATEG_COD"] for c in customers} >= {"RETAIL", "WHOLESALE", "LANDSCAPER", "EMPLOYEE"}
    assert all(set(c) <= customer_keys for c in customers)


def test_posted_history_rows_parse_like_documents(tmp_path: Path) -> None:
    root = write(
        stream(build_world(5, stores=1, days=4, vendors="counterpoint"), ticket_format="history"),
        tmp_path / "history",
    )
    _, counterpoint = contexts(root)
    rows = [(name, raw) for name, raw in batch_units(root) if name.endswith("PS_TKT_HIST.jsonl")]
    assert rows
    assert not list((root / "counterpoint/batch").glob("*-documents.jsonl"))
    for _name, raw in rows:
        unit = json.loads(raw)
        assert unit["table"] == "PS_TKT_HIST"
        assert "BUS_DAT" in unit["row"]
        assert {"PS_TKT_HIST_LIN", "PS_TKT_HIST_PMT", "PS_DOC_AUDIT_LOG"} <= set(unit["children"])
        outcome = parse(raw_event(raw, "COUNTERPOINT", "BATCH"), counterpoint)
        assert isinstance(outcome, Parsed)
        assert outcome.events[0].kind == "transaction"
