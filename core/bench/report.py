"""A benchmark report as JSON (for machines and diffs) and as a Markdown table (for people)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from core.bench.harness import Report
from core.bench.results import Measurement, ScenarioResult

COLUMNS = (
    "scenario",
    "measurement",
    "n",
    "throughput /s",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "target",
    "vs reference",
)


def write_json(report: Report, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report.as_dict(), indent=2, sort_keys=False) + "\n")


def write_markdown(report: Report, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(markdown(report))


def _number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _target(m: Measurement) -> str:
    if m.target is None:
        return ""
    met = m.met
    return f"{m.target.text} {'✅' if met else '❌' if met is False else '?'}"


def _row(result: ScenarioResult, m: Measurement) -> list[str]:
    lat = m.latency
    ratios = "; ".join(r.label for r in result.ratios if r.ours == m.name)
    name = f"*{m.name}*" if m.reference else m.name
    return [
        result.name,
        name,
        f"{m.count:,}",
        _number(m.throughput),
        _number(lat.p50) if lat else "",
        _number(lat.p95) if lat else "",
        _number(lat.p99) if lat else "",
        _target(m),
        ratios,
    ]


def table(report: Report) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "|".join("---" for _ in COLUMNS) + "|"]
    for result in report.results:
        if result.status != "ok":
            reason = (result.error or "").replace("|", "\\|").splitlines()[0] if result.error else ""
            cells = [result.name, f"**{result.status}**: {reason}", *([""] * (len(COLUMNS) - 2))]
            lines.append("| " + " | ".join(cells) + " |")
            continue
        for m in result.measurements:
            lines.append("| " + " | ".join(_row(result, m)) + " |")
    return "\n".join(lines) + "\n"


def terminal(report: Report, width: int) -> str:
    """The report for a terminal ``width`` columns wide: the Markdown table when every row fits, else
    one block per measurement (as ``canary detections list`` does), every line within ``width``."""
    wide = table(report)
    if max(len(line) for line in wide.splitlines()) <= width:
        return wide
    lines: list[str] = []
    for result in report.results:
        if result.status != "ok":
            reason = (result.error or "").splitlines()[0] if result.error else ""
            lines.extend(
                _wrapped(f"{result.name}: {result.status}" + (f": {reason}" if reason else ""), width)
            )
            continue
        for m in result.measurements:
            head = f"{result.name} · {m.name}" + (" (reference)" if m.reference else "")
            lines.extend(_wrapped(head, width, indent=""))
            lat = m.latency
            figures = f"n {m.count:,} · {_number(m.throughput)}/s"
            if lat:
                figures += f" · p50 {_number(lat.p50)} · p95 {_number(lat.p95)} · p99 {_number(lat.p99)} ms"
            lines.extend(_wrapped(figures, width))
            if m.target is not None:
                lines.extend(_wrapped(f"target {_target(m)}", width))
            ratios = "; ".join(r.label for r in result.ratios if r.ours == m.name)
            if ratios:
                lines.extend(_wrapped(f"vs reference {ratios}", width))
    return "\n".join(lines) + "\n"


def _wrapped(text: str, width: int, indent: str = "  ") -> list[str]:
    return textwrap.wrap(
        text,
        width=max(width, 40),
        initial_indent=indent,
        subsequent_indent=indent + "  ",
        break_on_hyphens=False,
    ) or [indent]


def _machine_lines(machine: dict[str, Any]) -> list[str]:
    pg = machine.get("postgres") or {}
    rd = machine.get("redis") or {}
    settings = ", ".join(f"{k}={v}" for k, v in (pg.get("settings") or {}).items())
    flags = ", ".join(machine.get("cpu_flags") or [])
    return [
        f"- date: {machine.get('date')}",
        f"- CPU: {machine.get('cpu_model')} × {machine.get('cores')} cores "
        f"({machine.get('cores_usable')} usable; {flags or 'no flags read'})",
        f"- RAM: {machine.get('ram_gib')} GiB; OS: {machine.get('os')}",
        f"- Python {machine.get('python')} ({machine.get('python_implementation')})",
        f"- PostgreSQL {pg.get('version') or pg.get('error')} ({settings})",
        f"- Redis {rd.get('version') or rd.get('error')}",
        f"- commit: {machine.get('git_commit') or 'uncommitted tree'}",
    ]


def markdown(report: Report) -> str:
    parts = [
        f"# canary bench{' --quick' if report.quick else ''}",
        "",
        *_machine_lines(report.machine),
        "",
        table(report),
        "Throughput is per second of wall time; latencies are milliseconds. *Italic* rows are reference "
        "points measured in the same run; `vs reference` is Canary's throughput divided by theirs.",
        "",
    ]
    for result in report.results:
        if result.status != "ok" and not result.notes:
            continue
        parts.append(f"## {result.name}")
        if result.description:
            parts.append(result.description)
        if result.config:
            parts.append("- config: " + ", ".join(f"{k}={v}" for k, v in result.config.items()))
        parts.extend(f"- {m.name}: {m.detail}" for m in result.measurements if m.detail)
        parts.extend(f"- {note}" for note in result.notes)
        parts.append("")
    return "\n".join(parts)
