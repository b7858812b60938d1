"""``batch``: the batch path, ``Inbox.accept_many`` in chunks then seal and parse, on Postgres + Redis.

The same Square payloads as ``webhooks``, already routed and verified (as a batch import or a
polling run delivers them), accepted in chunks while the seal and parse workers run. Timed from the
first chunk to the last event parsed. Reference points on the same rows: the COPY floor and the
naive design (``core.bench.reference``).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from core.bench.cpu import CpuMeter, disturbed, per_event_ms, summary
from core.bench.harness import BenchContext
from core.bench.reference import copy_reference, naive_reference, rehome
from core.bench.results import Latency, Measurement, ScenarioResult
from core.bench.stack import pipeline_stack
from core.bench.workload import deliveries, incoming, onboard

COPY_REF, NAIVE_REF = "reference: COPY inbox+evidence rows", "reference: naive, 2 transactions per event"
E2E = "accept_many + seal + parse, end to end"


@dataclass(frozen=True)
class Plan:
    merchants: int
    events: int
    chunk: int
    warmup: int
    naive_events: int


QUICK = Plan(merchants=2, events=400, chunk=100, warmup=20, naive_events=60)
FULL = Plan(merchants=4, events=20_000, chunk=500, warmup=200, naive_events=4_000)


def run(quick: bool, ctx: BenchContext) -> ScenarioResult:
    plan = QUICK if quick else FULL
    result = ScenarioResult(
        "batch", config={"plan": asdict(plan), "worker_batch_size": 200, "workers": {"seal": 1, "parse": 1}}
    )
    with pipeline_stack(ctx, tag="batch") as stack:
        merchants = onboard(stack.container, plan.merchants)
        inbox = stack.container.inbox
        stack.start_workers()
        # Warm-up: the workers are up, connected and have imported their parsers before timing starts.
        inbox.accept_many([incoming(d) for d in deliveries(merchants, plan.warmup)])
        stack.wait_parsed(plan.warmup, timeout=120)

        events = [incoming(d) for d in deliveries(merchants, plan.events)]
        meter = CpuMeter(stack.pids(), database=stack.scratch.name)
        before = meter.snapshot()
        wall, started = time.time(), time.perf_counter()
        chunks: list[float] = []
        for start in range(0, len(events), plan.chunk):
            began = time.perf_counter()
            inbox.accept_many(events[start : start + plan.chunk])
            chunks.append(time.perf_counter() - began)
        accepted = time.perf_counter() - started
        _, last_parsed = stack.wait_parsed(plan.warmup + plan.events, timeout=120 + plan.events / 100)
        usage = meter.usage(before, meter.snapshot())
        assert last_parsed is not None
        result.add(
            Measurement(
                "accept_many (inbox)",
                "events",
                plan.events,
                accepted,
                Latency.of_seconds(chunks),
                detail=f"chunks of {plan.chunk}, one transaction per merchant per chunk, workers running; "
                "latency is one accept_many call",
            )
        )
        result.add(
            Measurement(
                E2E,
                "events",
                plan.events,
                last_parsed.timestamp() - wall,
                Latency.of_seconds(stack.pipeline_latencies(wall)),
                detail="first chunk → last event parsed; latency is each event's acceptance → parsed",
            )
        )
        result.config["cpu_ms_per_event_end_to_end"] = per_event_ms(usage, plan.events)
        result.config["parse_outcomes"] = stack.parse_outcomes()
        result.config["disturbed_share_end_to_end"] = round(disturbed(usage), 3)
        result.notes.append(f"end-to-end phase: {summary(usage, plan.events)}")
        stack.stop()

        ctx.progress("batch: reference points")
        result.add(copy_reference(stack.scratch.admin_url, name=COPY_REF))
        naive = onboard(stack.container, plan.merchants, tag="naive")
        sample = deliveries(merchants, plan.naive_events)
        result.add(naive_reference(stack.container, rehome(sample, naive), name=NAIVE_REF))
    result.ratio(E2E, COPY_REF)
    result.ratio(E2E, NAIVE_REF)
    return result
