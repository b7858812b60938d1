"""Issue 14's own example of replay safety, on both backends: a Counterpoint ticket an older parser
read as a paid-out (a drawer event, and the PAID_OUT transaction named after it) that a newer parser
reads as a post-void of the ticket (a transaction void). The replay retracts the paid-out (the drawer
event and its transaction go), fires the void's detection once, and R's projection, the canonical
rows, Bubble's attributions, the rule journal and the live detections equal a clean first parse with
the new parser. Replayed back, the detection is kept, superseded one revision on with its audit row
(the correction in its history), and forward again it is revived, never written twice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

import core.pipeline.parse_plan as parse_plan
from core.adapters.counterpoint.keys import CP
from core.db.tables.sales import DrawerEventRow, TransactionRow
from core.domain.documents import Document
from core.domain.parsing import ParseContext, Parsed, ParseOutcome, RawEvent
from core.domain.records import canonical_id
from core.domain.sales import DrawerEvent, Transaction, TransactionType
from core.pipeline.workers import drain
from core.rules.service.store import REPLAYED
from tests.integration.pipeline.test_replay_reclassified import (
    REAL,
    SALE_PARTS,
    Canary,
    _detections,
    _first_parse,
    _full_state,
    _keys,
    _replay,
    _rows,
    _trail,
)


def _ticket(out: Parsed) -> Transaction | None:
    return next((r for r in out.records if isinstance(r, Transaction)), None)


def as_paid_out(event: RawEvent, ctx: ParseContext) -> ParseOutcome:
    """The older parser: a ticket is a paid-out from its drawer session, a ``DrawerEvent`` and the
    PAID_OUT transaction that shares its id (as Square's drawer events do), with no lines or tenders."""
    out = REAL(event, ctx)
    ticket = _ticket(out) if isinstance(out, Parsed) else None
    if not isinstance(out, Parsed) or ticket is None:
        return out
    drawer = DrawerEvent(
        id=canonical_id(CP, "drawer_event", ticket.external_id),
        shift_id=ticket.drawer_session_id or "",
        event_type=TransactionType.PAID_OUT.value,
        amount_cents=ticket.amount_cents,
        currency=ticket.currency,
        employee_id=ticket.employee_id,
        description="paid out to a vendor",
        occurred_at=ticket.occurred_at,
        version_key=ticket.version_key,
    )
    paid = Transaction(
        id=drawer.id,
        type=TransactionType.PAID_OUT,
        status="COMPLETED",
        source=ticket.source,
        source_type=ticket.source_type,
        external_id=ticket.external_id,
        location_id=ticket.location_id,
        device_id=ticket.device_id,
        employee_id=ticket.employee_id,
        drawer_session_id=ticket.drawer_session_id,
        currency=ticket.currency,
        amount_cents=ticket.amount_cents,
        reason=drawer.description,
        occurred_at=ticket.occurred_at,
        local_occurred_at=ticket.local_occurred_at,
        version_key=ticket.version_key,
    )
    records = [r for r in out.records if not isinstance(r, SALE_PARTS)] + [drawer, paid]
    facts = {
        "transaction": paid.model_dump(mode="json"),
        "line_items": [],
        "tenders": [],
        "drawer_events": [drawer.model_dump(mode="json")],
    }
    detection = [
        ev.model_copy(update={"entity_id": paid.id, "facts": {**ev.facts, **facts}})
        if ev.kind == "transaction"
        else ev
        for ev in out.events
    ]
    return Parsed(records, detection, out.merchant_status)


def as_post_void(event: RawEvent, ctx: ParseContext) -> ParseOutcome:
    """The newer parser: the same ticket is a post-void of the sale, linked to no original document
    (so Q-VR-01, a void with no original-document link, fires on it)."""
    out = REAL(event, ctx)
    if not isinstance(out, Parsed) or _ticket(out) is None:
        return out
    voided = {"type": TransactionType.POST_VOID.value, "status": "VOIDED"}
    records = [
        r.model_copy(update=voided)
        if isinstance(r, Transaction)
        else r.model_copy(update={"voided": True})
        if isinstance(r, Document)
        else r
        for r in out.records
    ]
    detection = []
    for ev in out.events:
        if ev.kind == "transaction":
            facts: dict[str, Any] = {
                **ev.facts,
                "transaction": {**ev.facts["transaction"], **voided},
                "document": {**ev.facts["document"], "voided": True},
                "original_doc_refs": [],
            }
            ev = ev.model_copy(update={"facts": facts})
        detection.append(ev)
    return Parsed(records, detection, out.merchant_status)


def _state(container: Any, merchant: str) -> dict[str, list[str]]:
    state = _full_state(container, merchant)
    state["drawer_events"] = _rows(container, merchant, DrawerEventRow, {"created_at", "updated_at"})
    return state


def test_a_paid_out_replayed_as_a_post_void_is_a_correction_not_a_second_event(
    canary: Canary, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    container, _ = canary
    voided = _first_parse(container, tmp_path, monkeypatch, as_post_void)
    paid_out = _first_parse(container, tmp_path, monkeypatch, as_paid_out)
    merchant = _first_parse(container, tmp_path, monkeypatch, as_paid_out)
    before = _state(container, merchant)
    assert before == _state(container, paid_out)
    assert len(before["drawer_events"]) == 1
    assert "'type': 'PAID_OUT'" in before["sales"][0]
    assert _detections(container, merchant) == []

    with container.db.tenant(merchant) as s:  # the ticket's seq, which the operator replays
        [seq] = s.exec(
            select(TransactionRow.evidence_seq).where(TransactionRow.merchant_id == merchant)
        ).all()
    monkeypatch.setattr(parse_plan, "parse", as_post_void)  # the new parser reads a post-void
    outcome = container.ops.replay_event(merchant, seq)  # canary-tsp-ops' replay_event
    assert (outcome.parsed, outcome.previous.status, outcome.current.status) == (1, "parsed", "parsed")
    drain(container.pipeline)
    after = _state(container, merchant)
    assert after == _state(container, voided)
    assert after["drawer_events"] == []
    assert "'type': 'POST_VOID'" in after["sales"][0]
    assert "'type': 'POST_VOID'" in after["customer_transactions"][0]
    [fired] = _detections(container, merchant)
    assert (fired.rule_id, fired.revision, fired.suppressed) == ("Q-VR-01", 0, False)
    assert f"{seq}:transaction:{fired.entity_id}" in after["journal"]
    assert fired.evidence_seq == seq

    keys = _keys(container, merchant)  # the same replay again: every message is a duplicate
    _replay(container, monkeypatch, merchant, as_post_void)
    assert _keys(container, merchant) == keys
    assert _state(container, merchant) == _state(container, voided)
    assert [(d.id, d.revision) for d in _detections(container, merchant)] == [(fired.id, 0)]

    _replay(container, monkeypatch, merchant, as_paid_out)  # back to the old reading: a correction
    assert _state(container, merchant) == _state(container, paid_out)
    [kept] = _detections(container, merchant)
    assert (kept.id, kept.revision, kept.suppressed, kept.suppression_reason) == (fired.id, 1, True, REPLAYED)
    assert _trail(container, merchant, fired.id) == [("detection_superseded", "replay", 0)]

    _replay(container, monkeypatch, merchant, as_post_void)  # and forward again: revived, not doubled
    assert _state(container, merchant) == _state(container, voided)
    [revived] = _detections(container, merchant)
    assert (revived.id, revived.revision, revived.suppressed) == (fired.id, 2, False)
