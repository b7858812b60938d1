"""Chirp behind the real pipeline (embedded): Counterpoint exports are sealed, parsed and published
to ``detection``; the chirp stage, one of the stages ``drain`` drives, consumes every one of them."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import func, select

from core.bootstrap import Container, bootstrap
from core.bus.port import PARSED_EVENTS
from core.db.tables.rules import RuleEventJournalRow
from core.ingest.backfill import accept_all, counterpoint_directory
from core.pipeline.workers import drain
from core.rules.service import ChirpService
from core.tenancy import StoreSpec, onboard_merchant
from tests.support.pipeline import settings_for

FIXTURES = Path(__file__).parents[2] / "fixtures" / "counterpoint"


@pytest.fixture
def container(tmp_path: Path) -> Iterator[Container]:
    built = bootstrap(settings_for(f"sqlite:///{tmp_path / 'canary.db'}", tmp_path, redis=False))
    yield built
    built.close()


def test_counterpoint_exports_reach_the_chirp_stage_and_the_scorecard_reflects_them(
    container: Container, tmp_path: Path
) -> None:
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
    directory = tmp_path / "export"
    directory.mkdir()
    for export in (FIXTURES / "exports").glob("*.jsonl"):
        shutil.copy(export, directory / export.name)
    accept_all(container.inbox, counterpoint_directory(merchant, directory))
    drain(container.pipeline)

    published = container.bus.stats(PARSED_EVENTS, "chirp")
    assert published.length > 5
    assert published.pending == 0
    with container.db.tenant(merchant) as s:
        journaled = s.exec(
            select(func.count())
            .select_from(RuleEventJournalRow)
            .where(RuleEventJournalRow.merchant_id == merchant)
        ).one()
    assert journaled == published.length
    card = {
        r.rule_id: r for r in ChirpService(container.db, container.clock).substrate_scorecard(merchant).rules
    }
    for rule_id in ("Q-DM-01", "Q-DM-03", "Q-IS-01", "Q-IS-03", "Q-AT-02"):
        assert card[rule_id].status == "applicable", card[rule_id].message
    assert card["C-005"].status == "not_applicable"  # Counterpoint keeps no card fingerprint
