"""Same seed, same bytes: across runs, across generation paths (in memory or streamed), across
processes with a different hash seed. Different seeds, different worlds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.simulate import OutputDirectoryError, build_world, stream, write
from tests.integration.simulate.support import SEED, tree_digest

ROOT = Path(__file__).parents[3]


def test_the_same_seed_writes_byte_identical_files(written: Path, tmp_path: Path) -> None:
    again = write(stream(build_world(SEED, stores=2, days=30, vertical="garden")), tmp_path / "again")
    assert tree_digest(again) == tree_digest(written)


def test_a_world_written_in_another_process_with_another_hash_seed_is_identical(tmp_path: Path) -> None:
    here = write(stream(build_world(11, stores=2, days=6, vertical="retail")), tmp_path / "here")
    there = str(tmp_path / "there")
    script = (
        "from pathlib import Path; from core.simulate import build_world, stream, write; "
        f"write(stream(build_world(11, stores=2, days=6, vertical='retail')), Path({there!r}))"
    )
    subprocess.run(
        [sys.executable, "-c", script],
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": "4242"},
        timeout=120,
    )
    assert tree_digest(tmp_path / "there") == tree_digest(here)


def test_different_seeds_write_different_worlds(tmp_path: Path) -> None:
    first = write(stream(build_world(1, stores=2, days=5)), tmp_path / "one")
    second = write(stream(build_world(2, stores=2, days=5)), tmp_path / "two")
    assert tree_digest(first) != tree_digest(second)
    for name in ("square/webhooks.jsonl", "labels.jsonl", "world.json"):
        assert (first / name).read_bytes() != (second / name).read_bytes(), name


def test_an_occupied_directory_is_only_replaced_when_it_holds_a_previous_run(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("not the simulator's")
    world = build_world(3, stores=1, days=2)
    with pytest.raises(OutputDirectoryError, match="not empty"):
        write(stream(world), mine)
    with pytest.raises(OutputDirectoryError, match="does not hold a previous simulator run"):
        write(stream(world), mine, overwrite=True)
    assert (mine / "notes.txt").exists()
    previous = write(stream(world), tmp_path / "run")
    (previous / "stale.txt").write_text("left from an older run")
    write(stream(world), previous, overwrite=True)
    assert not (previous / "stale.txt").exists()
