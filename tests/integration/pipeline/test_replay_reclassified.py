"""Replay safety on both backends: a replay whose parser reads a sealed event differently (a sale
that is really a refund, and back; a ticket that is no transaction at all; a transaction under
another id) corrects what the consumers hold instead of adding to it. R's
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

import core.pipeline.parse as parse_module
import core.pipeline.parse_plan as parse_plan
from core.bootstrap import Container
from core.db.tables.bubble import BubbleAttribution
from core.db.tables.cases import FoxAlert
from core.db.tables.customers import CardUse, Customer, CustomerTransaction
from core.db.tables.documents import DocumentRow
from core.db.tables.ledger import ProcessedMessage
from core.db.tables.rules import DetectionRow, RuleAuditRow, RuleEventJournalRow
from core.db.tables.sales import LineItemRow, RefundLinkRow, TenderRow, TransactionRow
from core.domain.parsing import ParseContext, Parsed, ParseOutcome, RawEvent
from core.domain.sales import LineItem, RefundLink, Tender, Transaction
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


# A reclassification that changes the event's kind or entity (docs/tsp-ops.md, "Replay safety"): the
# seq's last reading named an entity its new parse does not, so that entity is retracted.

SALE_PARTS = (Transaction, LineItem, Tender, RefundLink)


def as_document(event: RawEvent, ctx: ParseContext) -> ParseOutcome:
    """Parser "C": every ticket is read as a plain document, not a transaction (kind changes)."""
    out = REAL(event, ctx)
    if not isinstance(out, Parsed):
        return out
    records = [r for r in out.records if not isinstance(r, SALE_PARTS)]
    detection = [
        ev.model_copy(
            update={
                "kind": "document",
                "facts": {**ev.facts, "transaction": None, "line_items": [], "tenders": []},
            }
        )
        if ev.kind == "transaction"
        else ev
        for ev in out.events
    ]
    return Parsed(records, detection, out.merchant_status)


def _renamed(value: str) -> str:
    return f"{value}-R"


def renamed_refund(event: RawEvent, ctx: ParseContext) -> ParseOutcome:
    """Parser "D": parser "B" (sales are refunds), naming each transaction under another id."""
    out = as_refund(event, ctx)
    if not isinstance(out, Parsed):
        return out
    records = []
    for r in out.records:
        if isinstance(r, Transaction):
            r = r.model_copy(update={"id": _renamed(r.id)})
        elif isinstance(r, LineItem | Tender):
            r = r.model_copy(update={"transaction_id": _renamed(r.transaction_id)})
        elif isinstance(r, RefundLink):
            r = r.model_copy(update={"refund_transaction_id": _renamed(r.refund_transaction_id)})
        records.append(r)
    detection = []
    for ev in out.events:
        txn = ev.facts.get("transaction")
        if ev.kind == "transaction" and isinstance(txn, dict):
            facts = {
                **ev.facts,
                "transaction": {**txn, "id": _renamed(txn["id"])},
                "line_items": [
                    {**li, "transaction_id": _renamed(li["transaction_id"])} for li in ev.facts["line_items"]
                ],
                "tenders": [
                    {**t, "transaction_id": _renamed(t["transaction_id"])} for t in ev.facts["tenders"]
                ],
            }
            ev = ev.model_copy(update={"entity_id": _renamed(ev.entity_id), "facts": facts})
        detection.append(ev)
    return Parsed(records, detection, out.merchant_status)


def _full_state(container: Container, merchant: str) -> dict[str, list[str]]:
    """``_state`` plus every canonical sale part, card uses and Bubble's attributions."""
    state = _state(container, merchant)
    for name, table in (
        ("line_items", LineItemRow),
        ("tenders", TenderRow),
        ("refund_links", RefundLinkRow),
        ("documents", DocumentRow),
        ("card_uses", CardUse),
        ("attributions", BubbleAttribution),
    ):
        state[name] = _rows(container, merchant, table, {"created_at", "updated_at"})
    with container.db.tenant(merchant) as s:
        journal = s.exec(select(RuleEventJournalRow).where(RuleEventJournalRow.merchant_id == merchant)).all()
        state["journal"] = sorted(f"{j.seq}:{j.kind}:{j.entity_id}" for j in journal)
    return state


def _trail(container: Container, merchant: str, detection_id: str) -> list[tuple[str, str, Any]]:
    with container.db.tenant(merchant) as s:
        rows = s.exec(
            select(RuleAuditRow).where(
                RuleAuditRow.merchant_id == merchant, RuleAuditRow.target == detection_id
            )
        ).all()
    return [(a.action, a.actor, (a.before or {}).get("revision")) for a in rows]


def test_a_replay_that_reads_a_refund_as_a_plain_document_retracts_the_transaction(
    canary: Canary, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    container, _ = canary
    clean = _first_parse(container, tmp_path, monkeypatch, as_document)
    merchant = _first_parse(container, tmp_path, monkeypatch, as_refund)
    [fired] = _detections(container, merchant)
    assert fired.rule_id == "Q-VR-02"
    assert _full_state(container, merchant)["customer_transactions"]

    _replay(container, monkeypatch, merchant, as_document)
    assert _full_state(container, merchant) == _full_state(container, clean)
    assert _full_state(container, merchant)["customer_transactions"] == []
    [kept] = _detections(container, merchant)  # kept, superseded one revision on, with its trail
    assert (kept.id, kept.revision, kept.suppressed, kept.suppression_reason) == (fired.id, 1, True, REPLAYED)
    assert _trail(container, merchant, fired.id) == [("detection_superseded", "replay", 0)]

    keys = _keys(container, merchant)  # the same replay again: every message is a duplicate
    _replay(container, monkeypatch, merchant, as_document)
    assert _keys(container, merchant) == keys
    assert _full_state(container, merchant) == _full_state(container, clean)

    _replay(container, monkeypatch, merchant, as_refund)  # read as a transaction again: revived
    first = _first_parse(container, tmp_path, monkeypatch, as_refund)
    assert _full_state(container, merchant) == _full_state(container, first)
    [revived] = _detections(container, merchant)
    assert (revived.id, revived.revision, revived.suppressed) == (fired.id, 2, False)


def test_a_replay_that_names_the_transaction_under_another_id_fires_once_for_the_new_one(
    canary: Canary, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    container, _ = canary
    clean = _first_parse(container, tmp_path, monkeypatch, renamed_refund)
    merchant = _first_parse(container, tmp_path, monkeypatch, as_refund)
    [fired] = _detections(container, merchant)

    _replay(container, monkeypatch, merchant, renamed_refund)
    assert _full_state(container, merchant) == _full_state(container, clean)
    assert "-R" in _full_state(container, merchant)["customer_transactions"][0]
    detections = {d.id: d for d in _detections(container, merchant)}
    live = [d for d in detections.values() if not d.suppressed]
    assert [(d.rule_id, d.entity_id) for d in live] == [("Q-VR-02", _renamed(fired.entity_id or ""))]
    old = detections[fired.id]
    assert (old.revision, old.suppression_reason) == (1, REPLAYED)
    assert _trail(container, merchant, fired.id) == [("detection_superseded", "replay", 0)]


def test_a_retracted_published_alert_is_withdrawn_from_its_case(
    canary: Canary, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    container, _ = canary
    monkeypatch.setattr(parse_plan, "parse", as_refund)
    merchant = _merchant(container, tmp_path)
    ChirpService(container.db, container.clock).promote_rule(
        merchant, "Q-VR-02", "alerting", actor="ops@test", reason="replay test", force=True
    )
    _ingest(container, tmp_path, merchant)
    [fired] = _detections(container, merchant)
    assert fired.alert_state == "published"

    _replay(container, monkeypatch, merchant, as_document)
    [kept] = _detections(container, merchant)
    assert (kept.revision, kept.suppression_reason, kept.alert_state) == (1, REPLAYED, "published")
    with container.db.tenant(merchant) as s:
        members = s.exec(select(FoxAlert).where(FoxAlert.merchant_id == merchant)).all()
    assert [(m.detection_id, m.withdrawn) for m in members] == [(fired.id, REPLAYED)]


def test_a_retraction_lost_before_its_publish_is_published_by_the_next_parse_of_the_seq(
    canary: Canary, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    container, _ = canary
    clean = _first_parse(container, tmp_path, monkeypatch, as_document)
    merchant = _first_parse(container, tmp_path, monkeypatch, as_refund)
    [fired] = _detections(container, merchant)

    publish = parse_module.publish_parsed
    monkeypatch.setattr(parse_module, "publish_parsed", lambda *_args: None)  # lost after the commit
    _replay(container, monkeypatch, merchant, as_document)
    assert _full_state(container, merchant)["customer_transactions"] != []  # nobody heard of it
    monkeypatch.setattr(parse_module, "publish_parsed", publish)
    _replay(container, monkeypatch, merchant, as_document)  # a redelivery parses the seqs again
    assert _full_state(container, merchant) == _full_state(container, clean)
    [kept] = _detections(container, merchant)
    assert (kept.id, kept.revision, kept.suppression_reason) == (fired.id, 1, REPLAYED)
