"""One garden world (2 stores × 30 days, one Square and one Counterpoint store), generated once per
session in memory and written once to disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.simulate import Output, World, build_world, generate, write
from tests.integration.simulate.support import SEED


@pytest.fixture(scope="session")
def world() -> World:
    return build_world(SEED, stores=2, days=30, vertical="garden")


@pytest.fixture(scope="session")
def output(world: World) -> Output:
    return generate(world)


@pytest.fixture(scope="session")
def written(output: Output, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(output, tmp_path_factory.mktemp("world") / "out")
