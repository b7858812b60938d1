"""``agents``: how well Owl answers the product's questions, on a simulated merchant.

The world is the detection benchmark's (``core.bench.detection.replay_world``: full 2 stores × 21
days, the demo's size; ``--quick`` 2 × 7), replayed through every stage into an embedded Canary.
The evaluation set (``agents.evals.cases``, one case per question of the Owl stories) runs against
the real MCP servers in process, read-only. With ``CANARY_AGENT_MODEL`` set, the configured model
answers; without one, the scripted player does (``agents.evals.player``) and the report says so —
then the figures measure the harness and the tools (every fact is checked against the tables), not
a model's judgement.
"""

from __future__ import annotations

import os

import anyio
from pydantic import SecretStr

from agents.evals.run import EvalReport, run_set
from agents.evals.world import EvalWorld
from agents.model import from_environment
from core.bench.detection import QUICK, Size, replay_world
from core.bench.harness import BenchContext
from core.bench.results import Latency, Measurement, ScenarioResult
from core.bootstrap import bootstrap
from core.demo.feed import read_world
from core.settings import Settings

FULL = Size(seed=7, stores=2, days=21)


def run(quick: bool, ctx: BenchContext) -> ScenarioResult:
    size = QUICK if quick else FULL
    work = ctx.work_dir / "agents"
    configured = bool(os.environ.get("CANARY_AGENT_MODEL"))
    model = from_environment(os.environ) if configured else None
    result = ScenarioResult(
        "agents",
        config={
            "seed": size.seed,
            "stores": size.stores,
            "days": size.days,
            "model": model.model_name if model else "scripted player (no CANARY_AGENT_MODEL)",
            "servers": "in process, read-only",
        },
    )
    replayed = replay_world(size, work, ctx)
    settings = Settings(
        database_url=SecretStr(f"sqlite:///{work / 'canary.db'}"),
        redis_url=None,
        var_dir=work / "var",
        worker_block_ms=0,
    )
    container = bootstrap(settings)
    try:
        merchant = read_world(work / "world").merchant.merchant_id
        world = EvalWorld.of(container, merchant)
        ctx.progress(f"agents: asking {merchant} the evaluation set")
        report: EvalReport = anyio.run(run_set, world, model)
    finally:
        container.close()
    times = [c.seconds for c in report.cases]
    result.add(
        Measurement(
            "answers",
            "answers",
            count=len(report.cases),
            seconds=sum(times),
            latency=Latency.of_seconds(times),
            detail=f"{replayed.sealed:,} events replayed first",
        )
    )
    result.quality = report.as_dict()
    s = report.summary()
    result.notes.append(
        f"{s['passed']} of {s['cases']} answers passed ({s['right_facts']} with every fact, "
        f"{s['figures_traced']} with every figure traced); {s['tool_calls_per_answer']} tool calls "
        f"and {s['tokens_per_answer']} tokens per answer"
    )
    if report.scripted:
        result.notes.append(
            "no model configured (CANARY_AGENT_MODEL): the scripted player answered, so these figures "
            "check the harness and the tools against the tables, not a model"
        )
    return result
