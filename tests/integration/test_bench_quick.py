"""`canary bench --quick` runs every scenario and writes a report of the right shape.

The numbers are never checked (speed is measured by the benchmark, not asserted in tests); what is
checked is that each scenario is present, reports throughput and latency in the documented fields,
that the machine facts are there, and that the Markdown table renders.
"""

from __future__ import annotations

from typing import Any

import pytest

from core.bench.harness import BUILT_IN
from tests.support import quick_bench

pytestmark = quick_bench.MARKS
REQUIRED = ("webhooks", "batch", "merkle")
OPTIONAL = tuple(name for name in BUILT_IN if name not in REQUIRED)
LATENCY_FIELDS = {"p50", "p95", "p99", "max", "mean", "samples"}
MEASUREMENT_FIELDS = {
    "name",
    "unit",
    "count",
    "seconds",
    "throughput_per_s",
    "latency",
    "target",
    "met",
    "reference",
}
TABLE_HEADER = (
    "| scenario | measurement | n | throughput /s | p50 ms | p95 ms | p99 ms | target | vs reference |"
)


@pytest.fixture
def quick_report(quick_bench_report: tuple[dict[str, Any], str]) -> tuple[dict[str, Any], str]:
    return quick_bench_report


def test_every_scenario_is_reported_in_registry_order(quick_report: tuple[dict[str, Any], str]) -> None:
    report, _ = quick_report
    assert report["quick"] is True
    assert [s["name"] for s in report["scenarios"]] == list(BUILT_IN)


@pytest.mark.parametrize("name", REQUIRED)
def test_a_built_in_scenario_reports_throughput_and_latency(
    quick_report: tuple[dict[str, Any], str], name: str
) -> None:
    scenario = quick_bench.scenario(quick_report[0], name)
    assert scenario["status"] == "ok", scenario["error"]
    assert scenario["measurements"]
    for m in scenario["measurements"]:
        assert m.keys() >= MEASUREMENT_FIELDS
        assert isinstance(m["throughput_per_s"], float | int)
        assert m["latency"] is None or set(m["latency"]) == LATENCY_FIELDS
    assert any(m["latency"] for m in scenario["measurements"]), "no latency figures at all"
    assert any(m["reference"] for m in scenario["measurements"]), "no reference point measured"
    assert scenario["ratios"], "no ratio to a reference point"


def test_the_pipeline_scenarios_carry_their_targets(quick_report: tuple[dict[str, Any], str]) -> None:
    webhooks = quick_bench.scenario(quick_report[0], "webhooks")
    targets = {m["target"]["metric"] for m in webhooks["measurements"] if m["target"]}
    assert targets == {"p99", "throughput"}
    assert all(isinstance(m["met"], bool) for m in webhooks["measurements"] if m["target"])
    merkle = quick_bench.scenario(quick_report[0], "merkle")
    assert {m["name"].split(":")[0] for m in merkle["measurements"] if m["target"]} == {"memory", "postgres"}


@pytest.mark.parametrize("name", OPTIONAL)
def test_an_optional_scenario_is_either_measured_or_said_to_be_unavailable(
    quick_report: tuple[dict[str, Any], str], name: str
) -> None:
    scenario = quick_bench.scenario(quick_report[0], name)
    assert scenario["status"] in {"ok", "not available"}
    if scenario["status"] == "ok":
        assert scenario["measurements"]
    else:
        assert scenario["error"]


def test_the_report_states_the_machine(quick_report: tuple[dict[str, Any], str]) -> None:
    machine = quick_report[0]["machine"]
    for key in ("date", "cpu_model", "cores", "ram_gib", "python", "os"):
        assert machine[key], key
    assert machine["postgres"]["version"]
    assert machine["redis"]["version"]


def test_the_markdown_report_has_the_table_and_the_machine(quick_report: tuple[dict[str, Any], str]) -> None:
    report, markdown = quick_report
    assert TABLE_HEADER in markdown
    for scenario in report["scenarios"]:
        assert f"| {scenario['name']} |" in markdown
    assert "PostgreSQL" in markdown
    assert "CPU:" in markdown
