"""The per-status counts pipeline health reads (``ingestion_counts``) equal a ``GROUP BY status`` of
``ingestion_log`` on both backends: after a first parse, after a replay that changes verdicts, after
the same replay again, and when two Postgres transactions record the same new seqs at once."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

import core.pipeline.parse_plan as parse_plan
from core.db.tables.ledger import IngestionLogEntry
from core.db.uow import Database
from core.domain.parsing import ParseContext, ParseError, ParseOutcome, RawEvent
from core.pipeline.ingestion_log import counts, record_outcomes
from core.pipeline.parse_plan import EventResult
from tests.integration.pipeline.test_replay_reclassified import REAL, Canary, _ingest, _merchant


def _grouped(db: Database, merchant: str) -> dict[str, int]:
    with db.tenant(merchant) as s:
        rows = s.exec(
            select(IngestionLogEntry.status, func.count())
            .where(IngestionLogEntry.merchant_id == merchant)
            .group_by(IngestionLogEntry.status)
        ).all()
    return dict(rows)


def _kept(db: Database, merchant: str) -> dict[str, int]:
    with db.tenant(merchant) as s:
        return {k: v for k, v in counts(s, merchant).items() if v}


def refuse_all(event: RawEvent, ctx: ParseContext) -> ParseOutcome:
    raise ParseError("refused by the test parser", field="payload")


def test_counts_follow_first_parse_and_replays(
    canary: Canary, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    container, _ = canary
    merchant = _merchant(container, tmp_path)
    _ingest(container, tmp_path, merchant)
    first = _grouped(container.db, merchant)
    assert sum(first.values()) > 5
    assert first.get("parsed", 0) > 0
    assert _kept(container.db, merchant) == first

    monkeypatch.setattr(parse_plan, "parse", refuse_all)
    container.replayer.replay(merchant, first_seq=0)
    total = sum(first.values())
    assert _grouped(container.db, merchant) == {"failed": total}
    assert _kept(container.db, merchant) == {"failed": total}

    monkeypatch.setattr(parse_plan, "parse", REAL)
    for _ in range(2):  # the second replay changes no verdict, so no count
        container.replayer.replay(merchant, first_seq=0, only_failed=True)
        assert _grouped(container.db, merchant) == first
        assert _kept(container.db, merchant) == first

    report = container.health.report(merchant)
    assert (report.parsed, report.ignored, report.failed) == tuple(
        first.get(s, 0) for s in ("parsed", "ignored", "failed")
    )
    assert report.sealed_events == total  # the chain head's seq: every sealed event has a log row here


@pytest.mark.postgres
def test_two_transactions_recording_the_same_new_seqs_count_each_seq_once(pg_app: Database) -> None:
    merchant = f"m_{uuid.uuid4().hex[:10]}"
    now = datetime.now(UTC)
    first_recorded, errors = threading.Event(), []

    def record(status: str, hold: float) -> None:
        try:
            with pg_app.tenant(merchant) as s:
                record_outcomes(s, merchant, [EventResult(seq, status) for seq in (1, 2, 3)], now)
                first_recorded.set()
                time.sleep(hold)  # the other transaction is now waiting for the counts lock
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    one = threading.Thread(target=record, args=("parsed", 0.5))
    one.start()
    assert first_recorded.wait(10)
    two = threading.Thread(target=record, args=("failed", 0))
    two.start()
    one.join(10)
    two.join(10)
    assert errors == []
    assert _grouped(pg_app, merchant) == {"failed": 3}
    assert _kept(pg_app, merchant) == {"failed": 3}
