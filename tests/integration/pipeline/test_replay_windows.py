"""A correction reaches Chirp's windows, on both backends (core/rules/refold.py). Three Counterpoint
tickets read as post-voids by one clerk in one drawer session make a Q-VR-03 void cluster; the
earliest of them, sealed last, completes it. A newer parser reads that one as a paid-out, and the
replay retracts the void: its cluster detection is superseded, the voids window no longer holds it,
and the episode is open again. A fourth void then makes a cluster of the three remaining voids, and
Chirp's windows, journal and live detections (members, counts) equal a clean first parse with the
new parser: the retracted void is not counted until it ages out of the window.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

import core.pipeline.parse_plan as parse_plan
from core.bootstrap import Container
from core.db.tables.rules import DetectionRow, RuleStateRow
from core.domain.parsing import ParseContext, Parsed, ParseOutcome, RawEvent
from core.ingest.backfill import accept_all, counterpoint_directory
from core.pipeline.workers import drain
from core.rules.service import ChirpService
from core.rules.service.store import REPLAYED
from core.tenancy import StoreSpec, onboard_merchant
from tests.integration.pipeline.test_replay_paid_out import _ticket, as_paid_out, as_post_void
from tests.integration.pipeline.test_replay_reclassified import EXPORTS, Canary, _full_state, _trail

# (guid suffix, minutes after the first): the third ticket is the earliest and is sealed last.
TICKETS = (("B001", 10), ("B002", 20), ("B003", 0))
LATER = ("B004", 30)
PAID_OUT = "b003"  # the ticket the newer parser reads as a paid-out


def _line(suffix: str, minutes: int) -> str:
    line = json.loads((EXPORTS / "ticket_history.jsonl").read_text().splitlines()[0])
    number = int(suffix[1:])
    line["row"] |= {
        "DOC_GUID": f"4F3C2B1A-0000-4000-8000-00000000{suffix}",
        "DOC_ID": 701315951000 + number,
        "TKT_NO": f"20-1004{number:02d}",
        "TKT_DT": f"2024-06-01T15:{minutes:02d}:00.0000000",
        "RS_UTC_DT": f"2024-06-01T20:{minutes:02d}:00.0000000",
    }
    return json.dumps(line)


def newer(event: RawEvent, ctx: ParseContext) -> ParseOutcome:
    """The newer parser: every ticket a post-void, except one that is a paid-out."""
    out = as_post_void(event, ctx)
    ticket = _ticket(out) if isinstance(out, Parsed) else None
    if ticket is not None and ticket.external_id.endswith(PAID_OUT):
        return as_paid_out(event, ctx)
    return out


def _merchant(container: Container) -> str:
    merchant = f"m_{uuid.uuid4().hex[:10]}"
    onboard_merchant(
        container.db,
        container.keyring,
        merchant_id=merchant,
        name="Garden Co",
        stores=[StoreSpec(external_id="20", source="COUNTERPOINT", timezone="America/Chicago")],
    )
    for rule_id in ("Q-VR-01", "Q-VR-03"):
        ChirpService(container.db, container.clock).promote_rule(
            merchant, rule_id, "observation", actor="ops@test", reason="replay test", force=True
        )
    return merchant


def _ingest(container: Container, directory: Path, merchant: str, tickets: Any) -> None:
    directory.mkdir(parents=True)
    for n, (suffix, minutes) in enumerate(tickets):  # one file each, sealed in this order
        (directory / f"ticket_{n}.jsonl").write_text(_line(suffix, minutes) + "\n")
    assert accept_all(container.inbox, counterpoint_directory(merchant, directory)).accepted == len(tickets)
    drain(container.pipeline)


def _windows(container: Container, merchant: str) -> dict[str, Any]:
    """The voids window, as Chirp persisted it (every shard)."""
    with container.db.tenant(merchant) as s:
        rows = s.exec(select(RuleStateRow).where(RuleStateRow.merchant_id == merchant)).all()
    held: dict[str, Any] = {}
    for row in rows:
        if row.slice.startswith("voids:"):
            held |= json.loads(row.data)
    return {key: sorted(tuple(r[1:3]) for r in value) for key, value in held.items()}


def _clusters(container: Container, merchant: str) -> list[tuple[Any, ...]]:
    with container.db.tenant(merchant) as s:
        rows = s.exec(
            select(DetectionRow).where(
                DetectionRow.merchant_id == merchant, DetectionRow.rule_id == "Q-VR-03"
            )
        ).all()
    return [
        (r.measurements["voids"], sorted(v["transaction_id"] for v in r.snapshot["voids"]))
        for r in rows
        if not r.suppressed
    ]


def test_a_retracted_void_leaves_the_window_and_its_cluster_is_judged_again(
    canary: Canary, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    container, _ = canary
    monkeypatch.setattr(parse_plan, "parse", newer)
    clean = _merchant(container)
    _ingest(container, tmp_path / clean / "first", clean, TICKETS)
    assert _clusters(container, clean) == []  # two voids and a paid-out: no cluster

    monkeypatch.setattr(parse_plan, "parse", as_post_void)
    merchant = _merchant(container)
    _ingest(container, tmp_path / merchant / "first", merchant, TICKETS)
    with container.db.tenant(merchant) as s:
        [fired] = s.exec(
            select(DetectionRow).where(
                DetectionRow.merchant_id == merchant, DetectionRow.rule_id == "Q-VR-03"
            )
        ).all()
    assert fired.measurements["voids"] == 3
    assert fired.entity_id is not None
    assert fired.entity_id.endswith(PAID_OUT)  # the earliest void, whose seq completed the cluster

    monkeypatch.setattr(parse_plan, "parse", newer)
    assert container.ops.replay_event(merchant, fired.evidence_seq).current.status == "parsed"
    drain(container.pipeline)
    assert _windows(container, merchant) == _windows(container, clean)  # two voids, not three
    with container.db.tenant(merchant) as s:
        kept = s.get(DetectionRow, (merchant, fired.id))
    assert kept is not None
    assert (kept.revision, kept.suppressed, kept.suppression_reason) == (1, True, REPLAYED)
    assert _trail(container, merchant, fired.id) == [("detection_superseded", "replay", 0)]

    for name in (clean, merchant):  # a fourth void: a cluster of the three remaining voids
        _ingest(container, tmp_path / name / "later", name, [LATER])
    assert _windows(container, merchant) == _windows(container, clean)
    assert _full_state(container, merchant) == _full_state(container, clean)
    [(count, members)] = _clusters(container, merchant)
    assert (count, members) == _clusters(container, clean)[0]
    assert count == 3
    assert not any(m.endswith(PAID_OUT) for m in members)
    with container.db.tenant(merchant) as s:
        revived = s.get(DetectionRow, (merchant, fired.id))
    assert revived is not None
    assert (revived.revision, revived.suppressed) == (2, False)  # revived one revision on, not doubled
