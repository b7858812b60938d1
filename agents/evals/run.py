"""Run the evaluation set with a model and grade every answer.

A case passes when Owl returned an answer (its figures traced to the run's tool results: Owl's own
output check, ``agents.trace``), the answer states every fact of the case, and the tools the case
needs were among those called. The report sums up how many answers had the right facts, how many
figures traced, tool calls and tokens per answer, and answer time p50/p95.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic_ai.models import Model

from agents import servers
from agents.evals.cases import Case, Fact, applicable
from agents.evals.player import NAME as PLAYER
from agents.evals.player import player
from agents.evals.world import EvalWorld
from agents.owl import OwlDeps, ask
from agents.trace import numbers_in, tool_calls, untraced
from core.auth.principal import DEFAULT_SCOPES, Principal

ModelFor = Callable[[Case, EvalWorld], Model]


@dataclass(frozen=True)
class Graded:
    case: str
    story: str
    passed: bool
    facts: int
    facts_found: int
    missing: list[str]
    figures: int
    figures_traced: bool
    needed_tools_called: bool
    tool_calls: int
    input_tokens: int
    output_tokens: int
    seconds: float
    error: str | None = None


@dataclass
class EvalReport:
    model: str
    scripted: bool
    cases: list[Graded] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        n = len(self.cases)
        times = sorted(c.seconds for c in self.cases)
        return {
            "model": self.model,
            "scripted": self.scripted,
            "cases": n,
            "passed": sum(c.passed for c in self.cases),
            "right_facts": sum(c.facts_found == c.facts and c.error is None for c in self.cases),
            "figures_traced": sum(c.figures_traced for c in self.cases),
            "errors": sum(c.error is not None for c in self.cases),
            "tool_calls_per_answer": round(sum(c.tool_calls for c in self.cases) / n, 2) if n else 0,
            "tokens_per_answer": round(sum(c.input_tokens + c.output_tokens for c in self.cases) / n, 1)
            if n
            else 0,
            "answer_seconds_p50": _rank(times, 0.50),
            "answer_seconds_p95": _rank(times, 0.95),
        }

    def as_dict(self) -> dict[str, Any]:
        return {"summary": self.summary(), "cases": [asdict(c) for c in self.cases]}


def _rank(ordered: Sequence[float], q: float) -> float:
    return round(ordered[max(0, math.ceil(q * len(ordered)) - 1)], 3) if ordered else 0.0


def stated(fact: Fact, answer: str) -> bool:
    """Whether ``answer`` states ``fact``: the text, or the number as is / cents as dollars / a rate
    as a percentage, at the precision it was written with."""
    if isinstance(fact.value, str):
        return fact.value.lower() in answer.lower()
    value = float(fact.value)
    shown = [value, value / 100] + ([value * 100] if 0 <= value <= 1 else [])
    return any(
        math.isclose(number, round(s, decimals), abs_tol=1e-9)
        for number, decimals in numbers_in(answer)
        for s in shown
    )


def principal(world: EvalWorld, role: str) -> Principal:
    return Principal(world.merchant_id, role, frozenset(DEFAULT_SCOPES[role]), "memory", f"eval-{role}")


async def run_case(case: Case, world: EvalWorld, model: Model) -> Graded:
    facts = case.facts(world)
    needed = {c.tool for c in case.calls(world)}
    toolsets = servers.in_process(world.container, principal(world, case.role), read_only=True)
    deps = OwlDeps(world.merchant_id, role=case.role, today=world.today)
    began = time.perf_counter()
    try:
        result = await ask(case.ask(world), deps, toolsets, model=model)
    # The harness grades every case: a run that fails (untraced figures after the retries, a model
    # error) is a failed answer in the report, not the end of the evaluation.
    except Exception as exc:  # noqa: BLE001
        return Graded(
            case.id, case.story, False, len(facts), 0, [f.label for f in facts], 0, False, False, 0, 0, 0,
            round(time.perf_counter() - began, 3), f"{type(exc).__name__}: {str(exc)[:200]}",
        )  # fmt: skip
    seconds = time.perf_counter() - began
    output, messages = result.output, result.all_messages()
    found = [f for f in facts if stated(f, output.answer)]
    called = tool_calls(messages)
    usage = result.usage
    traced = not untraced(output, messages)
    return Graded(
        case=case.id,
        story=case.story,
        passed=traced and len(found) == len(facts) and needed <= {tool for tool, _a, _r in called},
        facts=len(facts),
        facts_found=len(found),
        missing=[f"{f.label}={f.value}" for f in facts if f not in found],
        figures=len(output.figures),
        figures_traced=traced,
        needed_tools_called=needed <= {tool for tool, _a, _r in called},
        tool_calls=len(called),
        input_tokens=usage.input_tokens or 0,
        output_tokens=usage.output_tokens or 0,
        seconds=round(seconds, 3),
    )


async def run_set(world: EvalWorld, model: Model | None = None) -> EvalReport:
    """Every applicable case with ``model``, or with the scripted player when there is none."""
    report = EvalReport(model=model.model_name if model else PLAYER, scripted=model is None)
    for case in applicable(world):
        report.cases.append(await run_case(case, world, model or player(case, world)))
    return report
