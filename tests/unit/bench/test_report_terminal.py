"""``canary bench`` prints its report so it fits the terminal: the Markdown table when it fits, one
block per measurement below that (issue 19: at 80 columns the table wrapped mid-row)."""

from __future__ import annotations

from core.bench.harness import Report
from core.bench.report import table, terminal
from core.bench.results import Latency, Measurement, Ratio, ScenarioResult, Target


def _report() -> Report:
    ingest = ScenarioResult(name="webhook-ingest-sqlite-embedded")
    ingest.add(
        Measurement(
            name="canary webhook ingress with group commit",
            unit="requests",
            count=20_000,
            seconds=12.5,
            latency=Latency(p50=3.21, p95=18.4, p99=41.0, max=90.0, mean=5.0, samples=20_000),
            target=Target("p95", 50, "p95 ≤ 50 ms"),
        )
    )
    ingest.add(Measurement(name="plain INSERT loop", unit="rows", count=50_000, seconds=2.0, reference=True))
    ingest.ratios.append(Ratio("canary webhook ingress with group commit", "plain INSERT loop", 0.064))
    broken = ScenarioResult(name="tsp-ops", status="failed", error="no postgres at 127.0.0.1:5432\n…")
    return Report(quick=True, machine={}, results=[ingest, broken])


def test_at_80_columns_every_measurement_is_a_block_that_fits() -> None:
    report = _report()
    assert max(len(line) for line in table(report).splitlines()) > 80  # the table would wrap mid-row
    text = terminal(report, 80)
    lines = text.splitlines()
    assert all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]
    assert "|" not in text
    assert "webhook-ingest-sqlite-embedded · canary webhook ingress with group commit" in text
    assert "  n 20,000 · 1,600/s · p50 3.21 · p95 18.4 · p99 41.0 ms" in lines
    assert "  target p95 ≤ 50 ms ✅" in lines
    assert "  vs reference 0.06× plain INSERT loop" in lines
    assert "webhook-ingest-sqlite-embedded · plain INSERT loop (reference)" in lines
    assert "  n 50,000 · 25,000/s" in lines
    assert "  tsp-ops: failed: no postgres at 127.0.0.1:5432" in lines


def test_a_wide_terminal_gets_the_markdown_table() -> None:
    report = _report()
    widest = max(len(line) for line in table(report).splitlines())
    assert terminal(report, widest) == table(report)
    assert terminal(report, widest - 1) != table(report)
