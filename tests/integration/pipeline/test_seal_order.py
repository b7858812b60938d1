"""Sealing keeps the order the source gave: a backfill file's lines take chain positions in file order,
even when one chunk's ``events`` messages reach the seal stage before an earlier chunk's, and with a
clock that does not move while the file is read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import col, select
from starlette.testclient import TestClient

from core.bootstrap import Container
from core.bus.port import EVENTS
from core.db.tables.ledger import EvidenceRecord
from core.ingest.backfill import accept_all, counterpoint_directory, square_file
from core.ingest.inbox import InboxIds
from core.pipeline.workers import drain
from tests.support.pipeline import new_merchant


def _chain(container: Container, merchant: str) -> list[str]:
    with container.db.tenant(merchant) as s:
        rows = s.exec(
            select(EvidenceRecord.source_event_id)
            .where(EvidenceRecord.merchant_id == merchant)
            .order_by(col(EvidenceRecord.seq))
        ).all()
    return [r or "" for r in rows]


def test_ids_sort_in_acceptance_order_under_a_frozen_or_stepped_back_clock() -> None:
    ids = InboxIds()
    now = datetime(2026, 5, 1, 12, tzinfo=UTC)
    earlier = datetime(2026, 5, 1, 11, tzinfo=UTC)
    made = [ids.next(now) for _ in range(3)] + [ids.next(earlier) for _ in range(3)]
    assert made == sorted(made)
    assert all(len(i) <= 40 for i in made)


def test_a_square_file_seals_in_file_order_across_chunks_delivered_backwards(
    canary: tuple[Container, TestClient], tmp_path: Path
) -> None:
    container, _ = canary
    merchant, _ = new_merchant(container)
    # Event ids chosen so that neither their sort order nor a hash matches the file order.
    names = [f"evt-{(n * 7919) % 1201:04d}" for n in range(1_200)]
    path = tmp_path / "webhooks.jsonl"
    path.write_text(
        "".join(
            json.dumps({"event_id": name, "type": "payment.updated", "data": {}}) + "\n" for name in names
        )
    )
    accept_all(
        container.inbox, square_file(merchant, path, fetched_at=datetime.now(UTC))
    )  # three chunks of ≤ 500
    # Take the events messages off the bus and hand them to the seal stage newest chunk first.
    container.bus.ensure_group(EVENTS, "seal")
    messages = container.bus.read(EVENTS, "seal", "test", count=10_000, block_ms=0)
    ids = [m.fields["inbox_id"] for m in messages if m.fields["merchant_id"] == merchant]
    assert len(ids) == 1_200
    for start in (1_000, 500, 0):
        container.seal.seal(merchant, ids[start : start + 500])
    assert _chain(container, merchant) == names


def test_a_counterpoint_export_seals_in_file_order(
    canary: tuple[Container, TestClient], tmp_path: Path
) -> None:
    container, _ = canary
    merchant, _ = new_merchant(container)
    directory = tmp_path / "export"
    directory.mkdir()
    rows = [
        {
            "table": "IM_ADJ_HIST",
            "row": {"LOC_ID": "MAIN", "BAT_ID": "B1", "ITEM_NO": f"I{n % 13}", "SEQ_NO": n},
        }
        for n in range(40, 0, -1)
    ]
    (directory / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    accept_all(container.inbox, counterpoint_directory(merchant, directory))
    drain(container.pipeline)
    sealed = [event_id.split(":", 2)[1].split("@")[0] for event_id in _chain(container, merchant)]
    assert sealed == [f"MAIN/B1/I{n % 13}/{n}" for n in range(40, 0, -1)]
