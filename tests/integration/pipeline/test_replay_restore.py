"""A retraction that deletes a canonical row another seq also writes, on both backends: two sealed
versions of one Counterpoint ticket (the later one changes its clerk), and a newer parser that names
the later version under another transaction id. Replaying the later seq alone retracts the ticket's
transaction, which that seq held at its newest version; the rows are put back from the earlier
seq's parse, so the canonical rows, R's projection, Bubble's attributions, the journal and the
detections equal a clean first parse with the new parser, without ``canary rebuild``, and replaying
the earlier seq afterwards changes nothing.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlmodel import select

import core.pipeline.parse_plan as parse_plan
from core.bootstrap import Container
from core.db.tables.sales import TransactionRow
from core.domain.parsing import ParseContext, Parsed, ParseOutcome, RawEvent
from core.domain.sales import Transaction
from core.ingest.backfill import accept_all, counterpoint_directory
from core.pipeline.workers import drain
from tests.integration.pipeline.test_replay_reclassified import (
    EXPORTS,
    REAL,
    Canary,
    Parser,
    _full_state,
    _keys,
    _merchant,
    _renamed,
    _replay,
    renamed_refund,
)

LATER = "2024-06-01T20:10:00.0000000"  # the later version's RS_UTC_DT (the vendor's change time)


def _later_version(directory: Path) -> None:
    """The ticket export again, as the vendor sent it after a clerk change: a newer version of the
    same document (same DOC_GUID), sealed as a second event."""
    line = json.loads((EXPORTS / "ticket_history.jsonl").read_text().splitlines()[0])
    line["row"] |= {"RS_UTC_DT": LATER, "USR_ID": "MIKE", "SLS_REP": "MIKE"}
    (directory / "ticket_history_later.jsonl").write_text(json.dumps(line) + "\n")


def _is_later(out: Parsed) -> bool:
    return any(
        isinstance(r, Transaction) and r.version_key.startswith("20240601T201000") for r in out.records
    )


def later_renamed(event: RawEvent, ctx: ParseContext) -> ParseOutcome:
    """The newer parser: the later version names its transaction under another id (parser "D" of
    test_replay_reclassified, for that version only); the earlier one is read as before."""
    out = REAL(event, ctx)
    if not isinstance(out, Parsed) or not _is_later(out):
        return out
    renamed = renamed_refund(event, ctx)
    assert isinstance(renamed, Parsed)
    detection = [
        ev.model_copy(
            update={"facts": {**ev.facts, "transaction": {**ev.facts["transaction"], "type": "SALE"}}}
        )
        if ev.kind == "transaction"
        else ev
        for ev in renamed.events
    ]
    records = [
        r.model_copy(update={"type": "SALE"}) if isinstance(r, Transaction) else r for r in renamed.records
    ]
    return Parsed(records, detection, renamed.merchant_status)


def _first_parse(
    container: Container, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parser: Parser
) -> str:
    monkeypatch.setattr(parse_plan, "parse", parser)
    merchant = _merchant(container, tmp_path)
    directory = tmp_path / merchant
    directory.mkdir()
    for export in EXPORTS.glob("*.jsonl"):
        shutil.copy(export, directory / export.name)
    _later_version(directory)
    assert accept_all(container.inbox, counterpoint_directory(merchant, directory)).accepted > 5
    drain(container.pipeline)
    return merchant


def _writers(container: Container, merchant: str) -> dict[str, int | None]:
    with container.db.tenant(merchant) as s:
        rows = s.exec(select(TransactionRow).where(TransactionRow.merchant_id == merchant)).all()
        return {r.id: r.evidence_seq for r in rows}


def test_a_retracted_row_an_earlier_seq_also_wrote_is_restored_from_that_seq(
    canary: Canary, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    container, _ = canary
    clean = _first_parse(container, tmp_path, monkeypatch, later_renamed)
    merchant = _first_parse(container, tmp_path, monkeypatch, REAL)
    [(ticket, later)] = _writers(container, merchant).items()  # the later version wrote it last
    clean_writers = _writers(container, clean)
    earlier = clean_writers[ticket]
    assert earlier is not None
    assert later is not None
    assert earlier < later
    assert clean_writers == {ticket: earlier, _renamed(ticket): later}

    monkeypatch.setattr(parse_plan, "parse", later_renamed)
    assert container.ops.replay_event(merchant, later).current.status == "parsed"  # that seq alone
    drain(container.pipeline)
    assert _writers(container, merchant) == clean_writers
    state = _full_state(container, merchant)
    assert state == _full_state(container, clean)
    assert len(state["customer_transactions"]) == 2
    assert "'employee_id': 'cp:employee:JANE'" in next(r for r in state["sales"] if f"'{ticket}'" in r)

    keys = _keys(container, merchant)  # the earlier seq replayed on its own now: nothing to add
    monkeypatch.setattr(parse_plan, "parse", later_renamed)
    assert container.ops.replay_event(merchant, earlier).current.status == "parsed"
    drain(container.pipeline)
    assert _keys(container, merchant) == keys
    assert _full_state(container, merchant) == _full_state(container, clean)

    _replay(container, monkeypatch, merchant, REAL)  # back to the old parser: the later version again
    assert _writers(container, merchant) == {ticket: later}
