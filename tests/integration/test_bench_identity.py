"""The quick ``identity`` benchmark runs end to end and reports every tool's latency in the right shape.

No figure is checked against a number (the benchmark measures speed, tests do not assert it); what is
checked is that each of the six tools has p50/p95 figures with the p95 target attached, through the
service and, once ``servers.identity`` imports, through the MCP layer, and that the setup and
reference rows are there. The JSON round trip is the one ``canary bench --json`` writes.
"""

from __future__ import annotations

from typing import Any

import pytest

from core.bench.identity_calls import TOOLS
from core.bench.identity_mcp import unavailable
from tests.support import quick_bench

pytestmark = quick_bench.MARKS


@pytest.fixture
def report(quick_bench_report: tuple[dict[str, Any], str]) -> dict[str, Any]:
    out = quick_bench.scenario(quick_bench_report[0], "identity")
    assert out["status"] == "ok", out["error"]
    return out


def _named(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["name"]: m for m in report["measurements"]}


@pytest.mark.parametrize("layer", ["service", "mcp"])
def test_every_tool_has_percentiles_and_the_p95_target(report: dict[str, Any], layer: str) -> None:
    if layer == "mcp" and unavailable():
        assert any("MCP layer not measured" in note for note in report["notes"])
        return
    measured = _named(report)
    for tool in TOOLS:
        m = measured[f"{layer}: {tool}"]
        assert m["latency"]["samples"] == m["count"] > 0
        assert {"p50", "p95", "p99"} <= m["latency"].keys()
        assert m["latency"]["p50"] <= m["latency"]["p95"] <= m["latency"]["p99"]
        assert m["target"]["metric"] == "p95"
        assert isinstance(m["met"], bool)


def test_the_mcp_figures_are_compared_with_the_service_ones(report: dict[str, Any]) -> None:
    if unavailable():
        pytest.skip("servers.identity is not importable here")
    pairs = {(r["ours"], r["reference"]) for r in report["ratios"]}
    assert pairs == {(f"mcp: {t}", f"service: {t}") for t in TOOLS}


def test_setup_and_reference_points_are_reported(report: dict[str, Any]) -> None:
    measured = _named(report)
    copied = measured["setup: COPY canonical rows"]
    assert copied["count"] > report["config"]["transactions"]
    assert measured["setup: rebuild R's projection"]["count"] == report["config"]["transactions"]
    references = {name for name, m in measured.items() if m["reference"]}
    assert {"reference: SELECT 1 round trip", "reference: tenant transaction with SELECT 1"} <= references
    assert report["config"]["customers"] < report["config"]["transactions"]
