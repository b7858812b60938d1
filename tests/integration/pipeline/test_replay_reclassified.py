"""Replay safety on both backends: a replay whose parser reads a sealed event differently (a sale
that is really a refund, and back) corrects what the consumers hold instead of adding to it. R's
projection and Chirp's live detections end as a clean first parse with the new parser would have
left them, no detection is written twice, and a retracted one is kept, superseded, with an audit row.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

import core.pipeline.parse_plan as parse_plan
from core.bootstrap import Container
from core.db.tables.customers import Customer, CustomerTransaction
from core.db.tables.ledger import ProcessedMessage
from core.db.tables.rules import DetectionRow, RuleAuditRow
from core.db.tables.sales import TransactionRow
from core.domain.parsing import ParseContext, Parsed, ParseOutcome, RawEvent
from core.domain.sales import Transaction
from core.ingest.backfill import accept_all, counterpoint_directory
from core.pipeline.workers import drain
from core.rules.service import ChirpService
from core.rules.service.store import REPLAYED
from core.tenancy import StoreSpec, onboard_merchant

Canary = tuple[Container, TestClient]
Parser = Callable[[RawEvent, ParseContext], ParseOutcome]
EXPORTS = Path(__file__).parents[2] / "fixtures" / "counterpoint" / "exports"
REAL: Parser = parse_plan.parse


def as_refund(event: RawEvent, ctx: ParseContext) -> ParseOutcome:
    """Parser "B": the real Counterpoint parser, except that every sale is read as a refund."""
    out = REAL(event, ctx)
    if not isinstance(out, Parsed):
        return out
    records = [
        r.model_copy(update={"type": "REFUND"}) if isinstance(r, Transaction) and r.type == "SALE" else r
        for r in out.records
    ]
    detection = []
    for ev in out.events:
        txn = ev.facts.get("transaction")
        if isinstance(txn, dict) and txn.get("type") == "SALE":
            ev = ev.model_copy(update={"facts": {**ev.facts, "transaction": {**txn, "type": "REFUND"}}})
        detection.append(ev)
    return Parsed(records, detection, out.merchant_status)


def _merchant(container: Container, tmp_path: Path) -> str:
    merchant = f"m_{uuid.uuid4().hex[:10]}"
    onboard_merchant(
        container.db,
        container.keyring,
        merchant_id=merchant,
        name="Garden Co",
        stores=[
            StoreSpec(external_id=s, source="COUNTERPOINT", timezone="America/Chicago")
            for s in ("20", "MAIN", "EAST")
        ],
    )
    service = ChirpService(container.db, container.clock)
    for rule_id in ("Q-VR-01", "Q-VR-02"):
        service.promote_rule(
            merchant, rule_id, "observation", actor="ops@test", reason="replay test", force=True
        )
    return merchant


def _ingest(container: Container, tmp_path: Path, merchant: str) -> None:
    directory = tmp_path / merchant
    directory.mkdir()
    for export in EXPORTS.glob("*.jsonl"):
        shutil.copy(export, directory / export.name)
    assert accept_all(container.inbox, counterpoint_directory(merchant, directory)).accepted > 5
    drain(container.pipeline)


def _first_parse(
    container: Container, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parser: Parser
) -> str:
    monkeypatch.setattr(parse_plan, "parse", parser)
    merchant = _merchant(container, tmp_path)
    _ingest(container, tmp_path, merchant)
    return merchant


def _replay(container: Container, monkeypatch: pytest.MonkeyPatch, merchant: str, parser: Parser) -> None:
    monkeypatch.setattr(parse_plan, "parse", parser)
    assert container.replayer.replay(merchant, first_seq=0).parsed > 0
    drain(container.pipeline)


def _rows(container: Container, merchant: str, table: Any, drop: set[str]) -> list[str]:
    with container.db.tenant(merchant) as s:
        rows = s.exec(select(table).where(table.merchant_id == merchant)).all()
        return sorted(str(r.model_dump(exclude={"merchant_id", *drop})) for r in rows)


def _state(container: Container, merchant: str) -> dict[str, list[str]]:
    """What a first parse decides: canonical sales, R's projection and Chirp's live detections."""
    stamps = {"created_at", "updated_at", "detected_at", "id", "revision", "snapshot"}
    with container.db.tenant(merchant) as s:
        detections = s.exec(select(DetectionRow).where(DetectionRow.merchant_id == merchant)).all()
        live = sorted(
            f"{d.rule_id}:{d.evidence_seq}:{d.entity_id}"
            for d in detections
            if d.suppression_reason != REPLAYED
        )
    return {
        "sales": _rows(container, merchant, TransactionRow, {"created_at", "updated_at"}),
        "customer_transactions": _rows(container, merchant, CustomerTransaction, {"updated_at"}),
        "customers": _rows(container, merchant, Customer, stamps),
        "detections": live,
    }


def _detections(container: Container, merchant: str) -> list[DetectionRow]:
    with container.db.tenant(merchant) as s:
        return list(s.exec(select(DetectionRow).where(DetectionRow.merchant_id == merchant)).all())


def _keys(container: Container, merchant: str) -> set[tuple[str, str]]:
    with container.db.tenant(merchant) as s:
        rows = s.exec(select(ProcessedMessage).where(ProcessedMessage.merchant_id == merchant)).all()
        return {(r.consumer, r.message_key) for r in rows}


def test_a_replay_that_reads_a_sale_as_a_refund_fires_once_and_matches_a_first_parse(
    canary: Canary, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    container, _ = canary
    clean = _first_parse(container, tmp_path, monkeypatch, as_refund)
    merchant = _first_parse(container, tmp_path, monkeypatch, REAL)
    assert [d.rule_id for d in _detections(container, merchant)] == []

    _replay(container, monkeypatch, merchant, as_refund)
    assert _state(container, merchant) == _state(container, clean)
    fired = _detections(container, merchant)
    assert [(d.rule_id, d.revision, d.suppressed) for d in fired] == [("Q-VR-02", 0, False)]
    assert _state(container, merchant)["customer_transactions"][0].count("'type': 'REFUND'") == 1

    keys = _keys(container, merchant)  # the same replay again: every message is a duplicate
    _replay(container, monkeypatch, merchant, as_refund)
    assert _keys(container, merchant) == keys
    assert [(d.rule_id, d.revision) for d in _detections(container, merchant)] == [("Q-VR-02", 0)]


def test_a_replay_that_reads_a_refund_back_as_a_sale_supersedes_its_detection_visibly(
    canary: Canary, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    container, _ = canary
    clean = _first_parse(container, tmp_path, monkeypatch, REAL)
    merchant = _first_parse(container, tmp_path, monkeypatch, as_refund)
    [fired] = _detections(container, merchant)
    assert (fired.rule_id, fired.revision, fired.suppressed) == ("Q-VR-02", 0, False)

    _replay(container, monkeypatch, merchant, REAL)
    assert _state(container, merchant) == _state(container, clean)
    [kept] = _detections(container, merchant)  # kept, never deleted: superseded, one revision on
    assert (kept.id, kept.revision, kept.suppressed, kept.suppression_reason) == (fired.id, 1, True, REPLAYED)
    assert kept.updated_at is not None
    with container.db.tenant(merchant) as s:
        trail = s.exec(
            select(RuleAuditRow).where(RuleAuditRow.merchant_id == merchant, RuleAuditRow.target == fired.id)
        ).all()
    assert [(a.action, a.actor, (a.before or {}).get("revision")) for a in trail] == [
        ("detection_superseded", "replay", 0)
    ]

    _replay(container, monkeypatch, merchant, as_refund)  # and forward again: revived, not doubled
    [revived] = _detections(container, merchant)
    assert (revived.id, revived.revision, revived.suppressed) == (fired.id, 2, False)
