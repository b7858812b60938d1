"""A tenant's deployment status read from storage: cutover date, modes, pin, scorecard."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.clock import FixedClock
from core.db.tables.tenants import Merchant
from core.db.uow import Database
from core.rules.phases import Phase
from core.rules.service import ChirpService
from core.rules.service.rollout import UnknownTenantError
from tests.integration.rules.conftest import START


def test_status_follows_the_cutover_calendar_and_the_rules_modes(db: Database, merchant: str) -> None:
    with db.tenant(merchant) as s:
        s.add(Merchant(id=merchant, name="Garden Co", created_at=START - timedelta(days=12)))
    service = ChirpService(db, FixedClock(START))
    before = service.deployment_status(merchant)
    assert (before.day, before.phase, before.catalog_pinned) == (12, Phase.TUNING, False)
    assert sum(before.modes.values()) + before.not_applicable == len(service.catalog.all())
    service.pin_catalog_version(
        merchant, service.catalog.latest, actor="op", reason="cutover to Chirp, catalog frozen for the pilot"
    )
    assert service.deployment_status(merchant).catalog_pinned


def test_an_unknown_tenant_gets_a_clear_error(db: Database, merchant: str) -> None:
    with pytest.raises(UnknownTenantError, match="onboard it first"):
        ChirpService(db, FixedClock(START)).deployment_status(merchant)
