"""Counterpoint rules fire from Counterpoint-shaped input through the public way in (the export rows
``canary backfill counterpoint --dir`` reads, here through ``counterpoint_directory``), and their
negative cases stay quiet: Q-AT-01's audit-log path, which needs the commit time the adapter derives
from the audit entry that records the commit (docs/counterpoint.md, "Commit time"), and Q-MM-02,
which needs the mix-and-match groups the item master (IM_ITEM, an ``Items`` response) gives, and
Q-DM-02, which needs the price changes derived from consecutive item-master records."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.bootstrap import bootstrap
from core.ingest.backfill import accept_all, counterpoint_directory
from core.pipeline.workers import drain
from core.tenancy import StoreSpec, onboard_merchant
from tests.support.pipeline import settings_for

EXPORTS = Path(__file__).parents[2] / "fixtures" / "counterpoint" / "exports"
EDITED, TOUCHED, UNCOMMITTED = 701315960001, 701315960002, 701315960003
OUTSIDE, INSIDE = 701315960004, 701315960005
MARKED = 701315960006


def item_master(item: str, price: float, user: str, at: str) -> dict[str, Any]:
    """A GET /Item response: the item's record after ``user`` last changed it (``at``, UTC)."""
    sample = json.loads((EXPORTS.parent / "apiguide" / "GET_Item.response1.json").read_text())["IM_ITEM"]
    row = {**sample, "ITEM_NO": item, "PRC_1": price, "REG_PRC": price, "LST_MAINT_USR_ID": user}
    return {"IM_ITEM": {**row, "RS_UTC_DT": f"{at}.0000000"}, "ErrorCode": "SUCCESS"}


def selling(row: dict[str, Any], item: str) -> dict[str, Any]:
    """The ticket with its first line (14.99, regular 19.99, rung by JANE) selling ``item``."""
    out = copy.deepcopy(row)
    out["children"]["PS_TKT_HIST_LIN"][0]["ITEM_NO"] = item
    return out


def doc_id(number: int) -> str:
    """Canary's id of a ticket whose DOC_GUID is ``uuid.UUID(int=number)``."""
    return f"cp:doc:{uuid.UUID(int=number).hex}"


def items(*members: tuple[str, str]) -> dict[str, Any]:
    """An ``Items`` response (NCR's sample's shape) of (item, mix-and-match code)."""
    sample = json.loads((EXPORTS.parent / "apiguide" / "GET_Items.response1.json").read_text())["Items"][1]
    rows = [{**sample, "ITEM_NO": item, "CATEG_COD": "SOIL", "MIX_MATCH_COD": code} for item, code in members]
    return {"Items": rows, "ErrorCode": "SUCCESS"}


def coded(row: dict[str, Any], code: str) -> dict[str, Any]:
    """The ticket with its second line (MULCH-2CF) rung under ``code``."""
    out = copy.deepcopy(row)
    out["children"]["PS_TKT_HIST_LIN"][1]["MIX_MATCH_COD"] = code
    return out


def ticket(doc_id: int, number: str, *entries: tuple[str, str]) -> dict[str, Any]:
    """The fixture's first history ticket with its own ids and audit entries (local time, text) after
    the "Entered a new ticket" one."""
    first = json.loads((EXPORTS / "ticket_history.jsonl").read_text().splitlines()[0])
    row = copy.deepcopy(first)
    row["row"].update(DOC_ID=doc_id, TKT_NO=number, DOC_GUID=str(uuid.UUID(int=doc_id)).upper())
    entered = row["children"]["PS_DOC_AUDIT_LOG"][0]
    row["children"]["PS_DOC_AUDIT_LOG"] = [
        entered,
        *(
            {
                **entered,
                "LOG_SEQ_NO": n,
                "CURR_DT": f"2024-06-01T{at}.0000000",
                "ACTIV": "E",
                "LOG_ENTRY": text,
            }
            for n, (at, text) in enumerate(entries, start=2)
        ),
    ]
    return row


@pytest.fixture(scope="module")
def fired(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[tuple[str, str | None]]]:
    tmp = tmp_path_factory.mktemp("counterpoint_reach")
    container = bootstrap(settings_for(f"sqlite:///{tmp / 'canary.db'}", tmp, redis=False))
    try:
        merchant = f"m_{uuid.uuid4().hex[:10]}"
        onboard_merchant(
            container.db,
            container.keyring,
            merchant_id=merchant,
            name="Garden Co",
            stores=[StoreSpec(external_id="20", source="COUNTERPOINT", timezone="America/Chicago")],
        )
        for rule_id in ("Q-AT-01", "Q-MM-02", "Q-DM-02"):
            container.chirp_service.promote_rule(
                merchant, rule_id, "observation", actor="test", reason="end-to-end reach test", force=True
            )
        rows = [
            ticket(
                EDITED,
                "20-200001",
                ("15:05:00", "Committed ticket"),
                ("15:35:00", "Changed line 1 quantity from 2 to 1"),
            ),
            ticket(
                TOUCHED,
                "20-200002",
                ("15:05:00", "Committed ticket"),
                ("15:05:30", "Changed line 2 price"),
                ("15:40:00", "Reprinted receipt"),
            ),
            # No entry records a commit: no commit time, so nothing after it to flag.
            ticket(UNCOMMITTED, "20-200003", ("15:35:00", "Changed line 1 quantity from 2 to 1")),
            # SOIL5 covers two other mulches, not MULCH-2CF; SOIL3 (the fixture's code) covers it.
            coded(ticket(OUTSIDE, "20-200004"), "SOIL5"),
            coded(ticket(INSIDE, "20-200005"), "SOIL3"),
            # JANE marks ROSE-2G down from 19.99 to 14.99 two hours before ringing it at 14.99
            # (TKT_DT 15:04 Chicago is 20:04 UTC); the fern's markdown was another user's.
            selling(ticket(MARKED, "20-200006"), "ROSE-2G"),
        ]
        directory = tmp / "export"
        directory.mkdir()
        groups = items(("MULCH-BLK", "SOIL5"), ("MULCH-RED", "SOIL5"), ("MULCH-2CF", "SOIL3"))
        (directory / "01-items.json").write_text(json.dumps(groups))
        updates = [
            item_master("ROSE-2G", 19.99, "MGR", "2024-05-01T12:00:00"),
            item_master("ROSE-2G", 14.99, "JANE", "2024-06-01T18:00:00"),
            item_master("FERN-1G", 19.99, "MGR", "2024-05-01T12:00:00"),
            item_master("FERN-1G", 14.99, "BOB", "2024-06-01T18:00:00"),
        ]
        (directory / "02-items.jsonl").write_text("".join(json.dumps(u) + "\n" for u in updates))
        (directory / "ticket_history.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        accept_all(container.inbox, counterpoint_directory(merchant, directory))
        drain(container.pipeline)
        page = container.chirp_service.query_detections(merchant, limit=50)
        found = [container.chirp_service.get_detection_detail(merchant, d.detection_id) for d in page.items]
        yield [(d.detection.rule_id, d.entity_id) for d in found]
    finally:
        container.close()


def test_a_posted_ticket_edited_half_an_hour_after_its_ticket_time_is_an_edit_after_commit(
    fired: list[tuple[str, str | None]],
) -> None:
    assert ("Q-AT-01", doc_id(EDITED)) in fired


def test_an_edit_within_the_grace_a_later_reprint_and_an_audit_log_with_no_commit_are_not(
    fired: list[tuple[str, str | None]],
) -> None:
    assert ("Q-AT-01", doc_id(TOUCHED)) not in fired
    assert ("Q-AT-01", doc_id(UNCOMMITTED)) not in fired
    assert [f for f in fired if f[0] == "Q-AT-01"] == [("Q-AT-01", doc_id(EDITED))]


def test_a_line_rung_under_a_mix_and_match_code_whose_group_lacks_its_item_fires(
    fired: list[tuple[str, str | None]],
) -> None:
    assert [f for f in fired if f[0] == "Q-MM-02"] == [("Q-MM-02", doc_id(OUTSIDE))]


def test_a_markdown_in_the_item_master_then_a_purchase_by_the_same_user_fires_and_another_users_does_not(
    fired: list[tuple[str, str | None]],
) -> None:
    assert [f for f in fired if f[0] == "Q-DM-02"] == [("Q-DM-02", doc_id(MARKED))]
