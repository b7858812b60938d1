"""Counterpoint through the real pipeline: a batch directory and on-premise pushes, both backends."""

from __future__ import annotations

import shutil
import time
import uuid
from pathlib import Path

from sqlmodel import func, select
from starlette.testclient import TestClient

from core.adapters.counterpoint.push import sign_push
from core.bootstrap import Container
from core.db.tables.documents import DocumentRow, TransferLineRow
from core.db.tables.ledger import EvidenceRecord, IngestionLogEntry
from core.db.tables.sales import TransactionRow
from core.ingest.backfill import accept_all, counterpoint_directory
from core.pipeline.workers import drain
from core.tenancy import StoreSpec, onboard_merchant

Canary = tuple[Container, TestClient]
FIXTURES = Path(__file__).parents[2] / "fixtures" / "counterpoint"
PUSH_KEY = "push-key-for-tests"


def _merchant(container: Container) -> str:
    merchant_id = f"m_{uuid.uuid4().hex[:10]}"
    onboard_merchant(
        container.db,
        container.keyring,
        merchant_id=merchant_id,
        name="Garden Co",
        counterpoint_push_key=PUSH_KEY,
        stores=[
            StoreSpec(external_id=s, source="COUNTERPOINT", timezone="America/Chicago")
            for s in ("20", "MAIN", "EAST")
        ],
    )
    return merchant_id


def _import_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "export"
    directory.mkdir()
    for name in (
        "GET_Document.response1.json",
        "GET_Store.response1.json",
        "GET_ItemCategory.response1.json",
        "GET_Customer.response1.json",
        "GET_Roles.response1.not-valid-json.txt",
    ):
        target = name.replace(".not-valid-json.txt", ".json")  # a broken file the agent named .json
        shutil.copy(FIXTURES / "apiguide" / name, directory / target)
    for export in (FIXTURES / "exports").glob("*.jsonl"):
        shutil.copy(export, directory / export.name)
    return directory


def _statuses(container: Container, merchant: str) -> dict[str, int]:
    with container.db.tenant(merchant) as s:
        return dict(
            s.exec(
                select(IngestionLogEntry.status, func.count())
                .where(IngestionLogEntry.merchant_id == merchant)
                .group_by(IngestionLogEntry.status)
            ).all()
        )


def test_a_batch_directory_is_sealed_parsed_and_a_second_import_adds_nothing(
    canary: Canary, tmp_path: Path
) -> None:
    container, _ = canary
    merchant = _merchant(container)
    directory = _import_dir(tmp_path)
    first = accept_all(container.inbox, counterpoint_directory(merchant, directory))
    drain(container.pipeline)
    again = accept_all(container.inbox, counterpoint_directory(merchant, directory))
    drain(container.pipeline)
    assert first.accepted > 5
    assert (again.accepted, again.duplicates) == (0, first.accepted)
    statuses = _statuses(container, merchant)
    assert statuses.get("failed") == 1  # the broken sample: sealed, then failed visibly
    assert statuses.get("parsed", 0) + statuses.get("ignored", 0) == first.accepted - 1
    with container.db.tenant(merchant) as s:
        documents = s.exec(select(func.count()).where(DocumentRow.merchant_id == merchant)).one()
        sales = s.exec(
            select(func.count()).where(
                TransactionRow.merchant_id == merchant, TransactionRow.source == "COUNTERPOINT"
            )
        ).one()
        transfer_lines = s.exec(select(func.count()).where(TransferLineRow.merchant_id == merchant)).one()
        sealed = s.exec(select(func.count()).where(EvidenceRecord.merchant_id == merchant)).one()
    assert documents >= 2
    assert sales >= 2
    assert transfer_lines >= 1
    assert sealed == first.accepted
    assert container.verifier.verify(merchant).ok


def _push(
    client: TestClient,
    merchant: str,
    body: bytes,
    *,
    key: str = PUSH_KEY,
    skew: int = 0,
    source: str = "counterpoint",
) -> int:
    stamp = int(time.time()) - skew
    headers = {"x-canary-signature": sign_push(body, key, stamp), "x-canary-timestamp": str(stamp)}
    return client.post(f"/ingest/{source}?merchant={merchant}", content=body, headers=headers).status_code


def test_pushes_are_verified_deduplicated_and_refused_when_unsigned_stale_or_misrouted(
    canary: Canary,
) -> None:
    container, client = canary
    merchant = _merchant(container)
    body = (FIXTURES / "apiguide" / "GET_Document.response1.json").read_bytes()
    assert _push(client, merchant, body) == 200
    assert client.post(f"/ingest/counterpoint?merchant={merchant}", content=body).status_code == 401
    assert _push(client, merchant, body, key="wrong") == 401
    assert _push(client, merchant, body, skew=3_600) == 401
    assert _push(client, "m_nobody", body) == 404
    assert _push(client, merchant, body, source="lightspeed") == 404
    duplicate = client.post(
        f"/ingest/counterpoint?merchant={merchant}",
        content=body,
        headers={
            "x-canary-signature": sign_push(body, PUSH_KEY, int(time.time())),
            "x-canary-timestamp": str(int(time.time())),
        },
    )
    assert (duplicate.status_code, duplicate.json()["status"]) == (200, "duplicate")
    drain(container.pipeline)
    assert _statuses(container, merchant) == {"parsed": 1}
