"""`canary bench console`: on a small seeded Postgres merchant, every console page is requested
through the real app and reported with its p95 against issue 17's 200 ms target, at the size asked
for (the real numbers are never checked)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.bench import console
from core.bench.harness import BUILT_IN, BenchContext, Report
from core.bench.report import markdown
from tests.support import postgres_service as pg
from tests.support.redis_service import redis_url

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(600)]
PAGES = {
    "Today",
    "Dashboard by store (8 weeks)",
    "Dashboard by employee (26 weeks)",
    "Detections (first page)",
    "Detections (one store, one rule)",
    "Detection",
    "Cases (open)",
    "Case",
    "Weekly digest",
    "Rules",
}


def test_the_console_bench_times_every_page_at_the_size_asked_for(tmp_path: Path) -> None:
    assert BUILT_IN["console"] == ("core.bench.console", False)
    pg.require_postgres()
    ctx = BenchContext(postgres_url=pg.ADMIN_URL, redis_url=redis_url(), work_dir=tmp_path, console_cases=200)
    result = console.run(True, ctx)
    assert result.status == "ok", result.error
    assert result.config == {"cases": 200, "detections": 2_000, "samples": 10}
    assert {m.name for m in result.measurements} == PAGES
    for m in result.measurements:
        assert (m.unit, m.count) == ("pages", 10)
        assert m.latency is not None
        assert m.latency.p95 >= m.latency.p50 > 0
        assert m.target is not None
        assert (m.target.metric, m.target.value) == ("p95", 200.0)
        assert isinstance(m.met, bool)
    report = markdown(Report(quick=True, machine={}, results=[result]))
    assert "| console | Dashboard by store (8 weeks) |" in report
    assert "p95 < 200 ms" in report
