"""A whole Canary on each backend: embedded (SQLite + in-process bus) and production-shaped
(Postgres as the application role + Redis Streams), each with a witness directory for its
checkpoints."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from core.bootstrap import Container
from tests.support.pipeline import running_canary, settings_for
from tests.support.redis_service import redis_url


@pytest.fixture(
    params=["embedded", pytest.param("production", marks=[pytest.mark.postgres, pytest.mark.redis])]
)
def canary(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Container, TestClient]]:
    if request.param == "embedded":
        settings = settings_for(
            f"sqlite:///{tmp_path / 'canary.db'}", tmp_path, redis=False, witness_dir=tmp_path / "witness"
        )
    else:
        _, app_url = request.getfixturevalue("postgres_urls")
        redis_url()  # fails with how-to-start when Redis is down
        settings = settings_for(app_url, tmp_path, redis=True, witness_dir=tmp_path / "witness")
    with running_canary(settings) as pair:
        yield pair
