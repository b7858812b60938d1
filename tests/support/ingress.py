"""Signed deliveries on both ingress paths, and counting what the ledger made of them: shared by the
hostile-input regression tests and the fuzz suite."""

from __future__ import annotations

import time
import uuid
from typing import Any

from sqlmodel import col, func, select
from starlette.testclient import TestClient

from core.adapters.counterpoint.push import sign_push
from core.bootstrap import Container
from core.db.tables.ledger import EvidenceRecord, InboxEntry, IngestionLogEntry
from core.tenancy import StoreSpec, onboard_merchant
from tests.support.pipeline import signed

PUSH_KEY = "push-key-for-tests"


def push_merchant(container: Container) -> str:
    merchant_id = f"m_{uuid.uuid4().hex[:10]}"
    onboard_merchant(
        container.db,
        container.keyring,
        merchant_id=merchant_id,
        name="Garden Co",
        counterpoint_push_key=PUSH_KEY,
        stores=[StoreSpec(external_id="MAIN", source="COUNTERPOINT", timezone="America/Chicago")],
    )
    return merchant_id


def push_headers(body: bytes, key: str = PUSH_KEY, **extra: str) -> dict[str, str]:
    stamp = int(time.time())
    return {"x-canary-signature": sign_push(body, key, stamp), "x-canary-timestamp": str(stamp), **extra}


def push(client: TestClient, merchant: str, body: bytes, **headers: str) -> Any:
    return client.post(
        f"/ingest/counterpoint?merchant={merchant}", content=body, headers=push_headers(body, **headers)
    )


def square(client: TestClient, url: str, body: bytes, **headers: str) -> Any:
    path = url.removeprefix("https://canary.example.com")
    return client.post(path, content=body, headers={**signed(body, url), **headers})


def ledger_counts(container: Container, merchant: str) -> dict[str, int]:
    """Inbox rows, sealed records, distinct inbox ids sealed, and ingestion-log rows by status."""
    with container.db.tenant(merchant) as s:
        inbox = s.exec(select(func.count()).where(col(InboxEntry.merchant_id) == merchant)).one()
        sealed = s.exec(select(func.count()).where(col(EvidenceRecord.merchant_id) == merchant)).one()
        distinct = s.exec(
            select(func.count(func.distinct(EvidenceRecord.inbox_id))).where(
                col(EvidenceRecord.merchant_id) == merchant
            )
        ).one()
        statuses = dict(
            s.exec(
                select(IngestionLogEntry.status, func.count())
                .where(col(IngestionLogEntry.merchant_id) == merchant)
                .group_by(IngestionLogEntry.status)
            ).all()
        )
    return {"inbox": inbox, "sealed": sealed, "sealed_distinct": distinct, **statuses}


def log_reasons(container: Container, merchant: str) -> list[str]:
    with container.db.tenant(merchant) as s:
        return [
            r or ""
            for r in s.exec(
                select(IngestionLogEntry.reason).where(col(IngestionLogEntry.merchant_id) == merchant)
            ).all()
        ]
