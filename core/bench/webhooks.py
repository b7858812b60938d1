"""``webhooks``: signed Square webhooks over real HTTP, through inbox, seal and parse, on Postgres + Redis.

Per ingress variant (one transaction per request, then group commit), on a fresh scratch database:

1. the HTTP floor: ``POST /bench/noop`` on the same server, closed loop (reference point);
2. ingress only: webhooks at maximum closed-loop throughput, no workers running;
3. the backlog that leaves: seal and parse workers start, each stage's own rate on it;
4. ack latency at an open-loop offered load of 1,000 requests/s with the pipeline running;
5. end to end: webhooks at maximum throughput with the pipeline running, timed from the first send
   to the last event parsed (the parse stage's own commit timestamp), with the CPU used by every
   process in that window.

Then, on the same rows: the COPY floor and the naive design (``core.bench.reference``).
"""

from __future__ import annotations

import importlib.util
import time
from dataclasses import asdict, dataclass
from typing import Any

from core.bench.cpu import CpuMeter, disturbed, per_event_ms, summary
from core.bench.harness import BenchContext
from core.bench.loadgen import LoadResult, Request, closed_loop, open_loop
from core.bench.reference import copy_reference, naive_reference, rehome
from core.bench.results import Latency, Measurement, ScenarioResult, Target
from core.bench.stack import HOST, Stack, pipeline_stack
from core.bench.workload import BenchMerchant, Delivery, deliveries, onboard
from core.web.square_webhook import SIGNATURE_HEADER

ACK_TARGET = Target("p99", 25.0, "p99 ≤ 25 ms")
E2E_TARGET = Target("throughput", 3_000.0, "≥ 3,000/s")
VARIANTS = (("per-request commit", False), ("group commit", True))
COPY_REF, NAIVE_REF = "reference: COPY inbox+evidence rows", "reference: naive, 2 transactions per event"


@dataclass(frozen=True)
class Plan:
    merchants: int
    warmup: int
    floor_requests: int
    ingress_requests: int
    open_rate: float
    open_seconds: float
    e2e_requests: int
    naive_events: int
    connections: int
    open_connections: int


QUICK = Plan(
    merchants=2,
    warmup=20,
    floor_requests=200,
    ingress_requests=200,
    open_rate=200.0,
    open_seconds=1.0,
    e2e_requests=200,
    naive_events=60,
    connections=16,
    open_connections=32,
)
FULL = Plan(
    merchants=4,
    warmup=200,
    floor_requests=5_000,
    ingress_requests=10_000,
    open_rate=1_000.0,
    open_seconds=10.0,
    e2e_requests=10_000,
    naive_events=4_000,
    connections=32,
    open_connections=64,
)


def _requests(batch: list[Delivery]) -> list[Request]:
    headers = {"content-type": "application/json"}
    return [
        Request("POST", d.merchant.path, d.body, {**headers, SIGNATURE_HEADER: d.signature}) for d in batch
    ]


def _noop(count: int) -> list[Request]:
    body = b'{"merchant_id":"noop","type":"payment.created"}' * 20  # about a webhook's size
    return [Request("POST", "/bench/noop", body, {"content-type": "application/json"})] * count


def _measure(
    name: str, load: LoadResult, *, target: Target | None = None, reference: bool = False, detail: str = ""
) -> Measurement:
    other = {s: n for s, n in load.statuses.items() if s != 200}
    if other or load.errors:
        detail = f"{detail}; NOT 200: {other}, connection errors: {load.errors}".lstrip("; ")
    return Measurement(
        name,
        "requests",
        load.count(200),
        load.elapsed,
        Latency.of_seconds(load.latencies),
        target=target,
        reference=reference,
        detail=detail,
    )


def _timeout(events: int) -> float:
    return 120.0 + events / 100


class _Run:
    def __init__(self, stack: Stack, merchants: list[BenchMerchant], plan: Plan, port: int) -> None:
        self.stack, self.merchants, self.plan, self.port = stack, merchants, plan, port
        self.expected = 0  # events accepted so far, all of which the pipeline must parse

    def send(self, count: int, *, rate: float | None = None) -> LoadResult:
        batch = _requests(deliveries(self.merchants, count))
        if rate is None:
            load = closed_loop(HOST, self.port, batch, connections=self.plan.connections)
        else:
            load = open_loop(HOST, self.port, batch, rate=rate, connections=self.plan.open_connections)
        self.expected += load.count(200)
        return load


def _variant(
    ctx: BenchContext,
    plan: Plan,
    label: str,
    group_commit: bool,
    result: ScenarioResult,
    with_references: bool,
) -> None:
    with pipeline_stack(ctx, tag="webhooks") as stack:
        merchants = onboard(stack.container, plan.merchants)
        run = _Run(stack, merchants, plan, stack.start_server(group_commit=group_commit))
        closed_loop(HOST, run.port, _noop(plan.warmup), connections=plan.connections)
        run.send(plan.warmup)
        floor = closed_loop(HOST, run.port, _noop(plan.floor_requests), connections=plan.connections)
        result.add(
            _measure(
                f"reference: HTTP no-op ({label} server)",
                floor,
                reference=True,
                detail=f"{plan.connections} connections, ~1 KB body, same process",
            )
        )
        ctx.progress(f"webhooks/{label}: ingress only")
        ingress = _measure(
            f"{label}: ingress only, max",
            run.send(plan.ingress_requests),
            detail=f"closed loop, {plan.connections} connections, no workers running",
        )
        result.add(ingress)
        result.ratio(ingress.name, f"reference: HTTP no-op ({label} server)")

        stack.start_workers()
        stack.wait_parsed(run.expected, timeout=_timeout(run.expected))
        for stage, (first, last, events) in stack.stage_spans().items():
            result.add(
                Measurement(
                    f"{label}: {stage} stage on the backlog",
                    "events",
                    events,
                    (last - first).total_seconds(),
                    detail="first to last commit of the stage",
                )
            )

        ctx.progress(f"webhooks/{label}: open loop at {plan.open_rate:,.0f}/s")
        load = run.send(int(plan.open_rate * plan.open_seconds), rate=plan.open_rate)
        result.add(
            _measure(
                f"{label}: ack @ {plan.open_rate:,.0f}/s offered",
                load,
                target=ACK_TARGET,
                detail=f"open loop for {plan.open_seconds:.0f} s, latency from the due time, "
                "pipeline running",
            )
        )
        stack.wait_parsed(run.expected, timeout=_timeout(run.expected))
        # The same, at half the ingress's own maximum: the latency of a server that is not saturated.
        rate = max(1.0, min(plan.open_rate, ingress.throughput / 2))
        load = run.send(int(rate * plan.open_seconds), rate=rate)
        result.add(
            _measure(
                f"{label}: ack @ half of ingress max",
                load,
                target=ACK_TARGET,
                detail=f"open loop at {rate:,.0f}/s for {plan.open_seconds:.0f} s, pipeline running",
            )
        )
        stack.wait_parsed(run.expected, timeout=_timeout(run.expected))

        ctx.progress(f"webhooks/{label}: end to end")
        meter = CpuMeter(stack.pids(), database=stack.scratch.name)
        before = meter.snapshot()
        load = run.send(plan.e2e_requests)
        _, last_parsed = stack.wait_parsed(run.expected, timeout=_timeout(run.expected))
        usage = meter.usage(before, meter.snapshot())
        assert last_parsed is not None
        result.add(
            _measure(
                f"{label}: ack at max, pipeline running",
                load,
                detail=f"closed loop, {plan.connections} connections",
            )
        )
        e2e = f"{label}: end to end, sealed+parsed"
        result.add(
            Measurement(
                e2e,
                "events",
                load.count(200),
                last_parsed.timestamp() - load.started,
                Latency.of_seconds(stack.pipeline_latencies(load.started)),
                target=E2E_TARGET,
                detail="first send → last event parsed; latency is each event's acceptance → parsed",
            )
        )
        _cpu_note(result, label, usage, load.count(200))
        result.config.setdefault("disturbed_share_end_to_end", {})[label] = round(disturbed(usage), 3)
        result.config.setdefault("parse_outcomes", {})[label] = stack.parse_outcomes()
        stack.stop()
        if with_references:
            ctx.progress("webhooks: reference points")
            result.add(copy_reference(stack.scratch.admin_url, name=COPY_REF))
            naive = onboard(stack.container, plan.merchants, tag="naive")
            sample = deliveries(merchants, plan.naive_events)
            result.add(naive_reference(stack.container, rehome(sample, naive), name=NAIVE_REF))


def _cpu_note(result: ScenarioResult, label: str, usage: dict[str, float], events: int) -> None:
    cpu: dict[str, Any] = result.config.setdefault("cpu_ms_per_event_end_to_end", {})
    cpu[label] = per_event_ms(usage, events)
    result.notes.append(f"{label}, end-to-end phase: {summary(usage, events)}")


def uvicorn_flavour() -> dict[str, str]:
    """What uvicorn's "auto" picks here: httptools and uvloop roughly double its no-op ceiling."""
    return {
        "http": "httptools" if importlib.util.find_spec("httptools") else "h11",
        "loop": "uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
    }


def run(quick: bool, ctx: BenchContext) -> ScenarioResult:
    plan = QUICK if quick else FULL
    result = ScenarioResult(
        "webhooks",
        config={
            "plan": asdict(plan),
            "worker_batch_size": 200,
            "workers": {"seal": 1, "parse": 1},
            "ingress_processes": 1,
            "uvicorn": uvicorn_flavour(),
        },
    )
    for i, (label, group_commit) in enumerate(VARIANTS):
        started = time.perf_counter()
        _variant(ctx, plan, label, group_commit, result, with_references=i == len(VARIANTS) - 1)
        ctx.progress(f"webhooks/{label}: done in {time.perf_counter() - started:.0f} s")
    for label, _ in VARIANTS:
        for reference in (COPY_REF, NAIVE_REF):
            result.ratio(f"{label}: end to end, sealed+parsed", reference)
    return result
