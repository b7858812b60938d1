"""Chirp storage tests run on SQLite and on Postgres as the application role (row-level security on)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from core.bus.memory import InProcessBus
from core.clock import FixedClock
from core.db.uow import Database
from core.rules.service import ChirpService
from core.rules.service.consumer import ChirpStage

START = datetime(2026, 5, 4, 18, 0, tzinfo=UTC)


@pytest.fixture
def db(any_db: Database) -> Database:
    return any_db


@pytest.fixture
def merchant() -> str:
    return f"m_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def bus() -> Iterator[InProcessBus]:
    bus = InProcessBus(prefix=f"test-{uuid.uuid4().hex[:6]}:")
    yield bus
    bus.close()


@pytest.fixture
def stage(db: Database, bus: InProcessBus, clock: FixedClock) -> ChirpStage:
    return ChirpStage(db, bus, clock)


@pytest.fixture
def service(db: Database, clock: FixedClock) -> ChirpService:
    return ChirpService(db, clock)
