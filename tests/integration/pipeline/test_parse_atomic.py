"""Parse's canonical rows and their ``ingestion_log`` row commit together, on both backends: a crash
between them (here: the log write failing) leaves neither, so a redelivery parses the event again.
On SQLite this needs a real transaction around parse's SAVEPOINTs (``hold_sqlite_transaction``)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import func, select
from starlette.testclient import TestClient

from core.bootstrap import Container
from core.db.tables.ledger import InboxEntry, IngestionLogEntry
from core.db.tables.sales import TransactionRow
from core.pipeline import parse as parse_module
from tests.support.pipeline import new_merchant, post, webhook

Canary = tuple[Container, TestClient]


class Crash(Exception):
    pass


def _count(container: Container, merchant: str, model: Any) -> int:
    with container.db.tenant(merchant) as s:
        return s.exec(select(func.count()).where(model.merchant_id == merchant)).one()


def test_a_crash_before_the_log_row_keeps_no_canonical_rows(
    canary: Canary, monkeypatch: pytest.MonkeyPatch
) -> None:
    container, client = canary
    merchant, url = new_merchant(container)
    post(client, url, webhook("payment.created"))
    container.seal.seal(merchant, [_inbox_id(container, merchant)])

    def crash(*_args: Any) -> None:
        raise Crash

    monkeypatch.setattr(parse_module, "record_outcomes", crash)
    with pytest.raises(Crash):
        container.parse.parse_seqs(merchant, [1])
    assert _count(container, merchant, TransactionRow) == 0
    assert _count(container, merchant, IngestionLogEntry) == 0
    monkeypatch.undo()
    container.parse.parse_seqs(merchant, [1])  # the redelivery parses it, once
    assert _count(container, merchant, TransactionRow) == 1
    assert _count(container, merchant, IngestionLogEntry) == 1


def _inbox_id(container: Container, merchant: str) -> str:
    with container.db.tenant(merchant) as s:
        return s.exec(select(InboxEntry.id).where(InboxEntry.merchant_id == merchant)).one()
