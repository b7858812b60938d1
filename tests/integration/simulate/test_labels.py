"""Ground truth: every catalog rule and every device anomaly has a positive, the garden-center hard
negatives exist, and every object a label names is really in the vendor output."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from core.simulate import build_world, stream, write
from core.simulate.scenarios import ANOMALY_TYPES, HARD_NEGATIVE_TYPES, RULE_IDS
from tests.integration.simulate.support import batch_units, jsonl

ENTITY_TYPES = {"employee", "device", "customer", "store", "vendor", "route", "category", "card"}


def _labels(root: Path) -> list[dict[str, Any]]:
    return jsonl(root / "labels.jsonl")


def _pages(root: Path, folder: str) -> Iterable[dict[str, Any]]:
    for page in (root / "square/api" / folder).rglob("*.json"):
        yield from next(iter(json.loads(page.read_text()).values()))


def _vendor_ids(root: Path) -> set[tuple[str, str, str]]:
    """Every id the output contains, as (vendor, type, id) like a label's objects."""
    found = {
        ("square", t, o["id"])
        for t, folder in (
            ("order", "orders"),
            ("payment", "payments"),
            ("refund", "refunds"),
            ("cash_drawer_shift", "cash_drawer_shifts"),
        )
        for o in _pages(root, folder)
    }
    for name, raw in batch_units(root):
        unit = json.loads(raw)
        row = unit.get("row", {})
        table = unit.get("table")
        if "PS_DOC_HDR" in unit:
            found.add(("counterpoint", "document", unit["PS_DOC_HDR"]["DOC_GUID"]))
        elif "AR_CUST" in unit:
            found.add(("counterpoint", "customer", unit["AR_CUST"]["CUST_NO"]))
        elif "IM_ITEM" in unit:
            found.add(
                ("counterpoint", "IM_ITEM", f"{unit['IM_ITEM']['ITEM_NO']}@{unit['IM_ITEM']['RS_UTC_DT']}")
            )
        elif table == "PO_RECVR_HIST":
            found.add(("counterpoint", table, f"{row['RECVR_LOC_ID']}/{row['RECVR_NO']}"))
        elif table == "IM_XFER_HDR":
            found.add(("counterpoint", table, f"{row['FROM_LOC_ID']}/{row['XFER_NO']}"))
        elif table == "IM_ADJ_HIST":
            found.add(
                ("counterpoint", table, f"{row['LOC_ID']}/{row['BAT_ID']}/{row['ITEM_NO']}/{row['SEQ_NO']}")
            )
        assert name  # every unit came from a named file
    return found


def test_labels_cover_every_catalog_rule_and_the_five_anomaly_types_with_a_positive(written: Path) -> None:
    positives = [label for label in _labels(written) if label["polarity"] == "positive"]
    assert {label["rule_id"] for label in positives} >= set(RULE_IDS) | {"A-BUBBLE-DEVICE", "A-BUBBLE-STORE"}
    assert {label["scenario_type"] for label in positives} >= set(ANOMALY_TYPES)
    assert len(RULE_IDS) == 28


def test_the_garden_center_hard_negatives_exist(written: Path) -> None:
    negatives = {
        label["scenario_type"]: label for label in _labels(written) if label["polarity"] == "hard_negative"
    }
    assert set(negatives) >= set(HARD_NEGATIVE_TYPES)
    assert negatives["wholesale_tier_discount"]["rule_id"] == "Q-DM-01"
    assert negatives["event_day_cash"]["rule_id"] == "Q-TM-01"
    assert negatives["layaway_cross_station"]["rule_id"] == "Q-AT-02"
    assert negatives["cash_paid_grower"]["allowed_queue"] == "review"
    assert negatives["seasonal_live_goods_shrink"]["rule_id"] == "Q-IS-04"
    assert {"Q-MM-01", "Q-ME-01"} <= {
        x["rule_id"] for x in _labels(written) if x["scenario_type"] == "mix_match_bundle"
    }


def test_every_object_a_label_names_is_in_the_vendor_output(written: Path) -> None:
    found = _vendor_ids(written)
    for label in _labels(written):
        objects = {(o["vendor"], o["type"], o["id"]) for o in label["objects"]}
        assert objects, label["scenario_id"]
        missing = {o for o in objects if o[1] != "customer" or o[0] == "counterpoint"} - found
        assert not missing, (label["scenario_id"], sorted(missing)[:3])


def test_labels_are_well_formed_and_inside_the_window(written: Path, world: Any) -> None:
    first = datetime.fromisoformat(f"{world.start.isoformat()}T00:00:00+00:00") - timedelta(days=2)
    last = first + timedelta(days=world.days + 4)
    ids = set()
    for label in _labels(written):
        start, end = (
            datetime.fromisoformat(label["window"][k].replace("Z", "+00:00")) for k in ("start", "end")
        )
        assert first <= start <= end <= last, label["scenario_id"]
        assert label["polarity"] in ("positive", "hard_negative")
        assert label["entity"]["type"] in ENTITY_TYPES
        assert label["entity"]["id"]
        assert label["vendor"] in ("square", "counterpoint")
        assert label["scenario_id"] not in ids
        ids.add(label["scenario_id"])


def test_a_square_only_merchant_skips_the_counterpoint_scenarios_and_says_so(tmp_path: Path) -> None:
    root = write(stream(build_world(4, stores=1, days=8, vendors="square")), tmp_path / "square-only")
    manifest = json.loads((root / "manifest.json").read_text())
    assert "void_without_original" in manifest["skipped_scenarios"]
    assert not (root / "counterpoint").exists()
    rules = {label["rule_id"] for label in _labels(root)}
    assert {"C-005", "Q-DS-01", "Q-DS-02", "A-BUBBLE-DEVICE"} <= rules
    assert all(label["vendor"] == "square" for label in _labels(root))
