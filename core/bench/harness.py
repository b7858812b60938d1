"""The benchmark harness: a registry of scenarios, a run over some of them, and one report.

A scenario is a name plus ``run(quick, ctx) -> ScenarioResult``. Built-in scenarios live beside this
module; others (``core.bench.rules``, ``core.bench.identity``) are optional: if their module is
missing or fails to import, the report says "not available" and the run goes on. A module plugs in
by defining ``run(quick: bool, ctx: BenchContext) -> ScenarioResult`` (its docstring's first line is
the description) or a module-level ``SCENARIO = Scenario(...)``.

Modules are imported when a scenario runs, not when this one is imported, so ``canary bench merkle``
never loads uvicorn, and a scenario module may import this one without a cycle.
"""

from __future__ import annotations

import importlib
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.bench.machine import machine_facts
from core.bench.pg_scratch import DEFAULT_ADMIN_URL
from core.bench.results import ScenarioResult

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"

# name → (module, required). Order is the report's order.
BUILT_IN: dict[str, tuple[str, bool]] = {
    "webhooks": ("core.bench.webhooks", True),
    "batch": ("core.bench.batch", True),
    "merkle": ("core.bench.merkle", True),
    "tsp-ops": ("core.bench.tsp_ops", False),
    "rules": ("core.bench.rules", False),
    "identity": ("core.bench.identity", False),
    "detection": ("core.bench.detection", False),
    "bubble": ("core.bench.bubble", False),
    "agents": ("core.bench.agents", False),
    "cases": ("core.bench.cases", False),
    "console": ("core.bench.console", False),
}


@dataclass
class BenchContext:
    """What every scenario may use: where the services are, a scratch directory, a progress line."""

    postgres_url: str = DEFAULT_ADMIN_URL  # an admin (superuser) URL: scenarios create scratch databases
    redis_url: str = DEFAULT_REDIS_URL
    work_dir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()))
    python: str = sys.executable
    progress: Callable[[str], None] = lambda _message: None
    console_cases: int | None = None  # the console scenario's merchant size (detections = 10 ×)


RunFn = Callable[[bool, BenchContext], ScenarioResult]


@dataclass(frozen=True)
class Scenario:
    name: str
    run: RunFn
    description: str = ""


@dataclass
class Report:
    quick: bool
    machine: dict[str, Any]
    results: list[ScenarioResult]
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "canary_bench": 1,
            "quick": self.quick,
            "seconds": round(self.seconds, 1),
            "machine": self.machine,
            "scenarios": [r.as_dict() for r in self.results],
        }


class UnknownScenarioError(LookupError):
    pass


def _first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""


def load(name: str) -> Scenario | ScenarioResult:
    """The scenario called ``name``, or a "not available" result saying why it cannot run."""
    if name not in BUILT_IN:
        raise UnknownScenarioError(f"unknown scenario {name!r}: choose from {', '.join(BUILT_IN)}")
    module_name, required = BUILT_IN[name]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        if required:
            raise
        return ScenarioResult(name, status="not available", error=f"{module_name} cannot be imported: {exc}")
    declared = getattr(module, "SCENARIO", None)
    if isinstance(declared, Scenario):
        return declared
    run = getattr(module, "run", None)
    if not callable(run):
        why = f"{module_name} defines neither SCENARIO nor run()"
        return ScenarioResult(name, status="not available", error=why)
    return Scenario(name, run, _first_line(module.__doc__))


def run_scenarios(names: Sequence[str], *, quick: bool, ctx: BenchContext) -> Report:
    started = time.perf_counter()
    chosen = list(names) or list(BUILT_IN)
    for name in chosen:
        if name not in BUILT_IN:
            raise UnknownScenarioError(f"unknown scenario {name!r}: choose from {', '.join(BUILT_IN)}")
    machine = machine_facts(ctx.postgres_url, ctx.redis_url)
    results: list[ScenarioResult] = []
    for name in chosen:
        ctx.progress(f"{name}: starting{' (quick)' if quick else ''}")
        results.append(_run_one(name, quick, ctx))
        ctx.progress(f"{name}: {results[-1].status} in {results[-1].seconds:.1f} s")
    return Report(quick=quick, machine=machine, results=results, seconds=time.perf_counter() - started)


def _run_one(name: str, quick: bool, ctx: BenchContext) -> ScenarioResult:
    began = time.perf_counter()
    try:
        loaded = load(name)
        if isinstance(loaded, ScenarioResult):
            return loaded
        result = loaded.run(quick, ctx)
        result.description = result.description or loaded.description
    # The harness is the top-level handler of each scenario: one failing scenario must not lose the
    # figures of the others, and the report carries the error instead.
    except Exception as exc:  # noqa: BLE001
        result = ScenarioResult(name, status="failed", error=f"{type(exc).__name__}: {exc}")
    result.seconds = time.perf_counter() - began
    return result
