"""The files users deploy from agree with the code: docker-compose.yml runs every stage and migrates
first, the Dockerfile copies paths that exist (mcp.json is checked in tests/unit/servers)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from core.pipeline.workers import STAGE_NAMES

ROOT = Path(__file__).parents[2]


def _compose() -> dict[str, dict[str, object]]:
    services: dict[str, dict[str, object]] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())[
        "services"
    ]
    return services


def test_compose_runs_a_worker_for_every_stage_and_the_sweeper() -> None:
    commands = [service.get("command") for service in _compose().values()]
    for stage in (*STAGE_NAMES, "sweeper"):
        assert ["worker", stage] in commands, f"docker-compose.yml runs no `canary worker {stage}`"


def test_compose_migrates_before_anything_serves_and_serves_without_inline_workers() -> None:
    services = _compose()
    assert services["migrate"]["command"] == ["db", "upgrade"]
    for name in ("ingress", "mcp"):
        assert services[name]["command"] == ["serve", "--no-inline-workers"]
        depends = services[name]["depends_on"]
        assert isinstance(depends, dict)
        assert depends["migrate"] == {"condition": "service_completed_successfully"}


def test_every_path_the_dockerfile_copies_exists() -> None:
    copied = re.findall(r"^COPY (.+) \S+$", (ROOT / "Dockerfile").read_text(), re.M)
    paths = [p for line in copied for p in line.split()]
    assert paths
    assert [p for p in paths if not (ROOT / p).exists()] == []
