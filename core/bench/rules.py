"""``rules``: Chirp engine throughput, one core: canonical events per second through every rule.

The workload mixes what a Square and a Counterpoint tenant send: Square sales with card tenders (some
split, some comped), voids and refunds, drawer shifts with events; Counterpoint tickets with their
document, audit log, taxes and costs, plus receivers, transfers and write-offs. Events are built and
parsed into ``Facts`` before the clock starts, so the figure is the engine alone (every rule in the
catalog, all in alerting mode, windows and accumulators updated, allow-lists checked). A second
figure includes parsing the parsed event's JSON facts into typed records, which the consumer also
pays. Target: 20,000 events/s for the engine alone.
"""

from __future__ import annotations

import random
import time

from core.bench.harness import BenchContext
from core.bench.results import Measurement, ScenarioResult, Target
from core.domain.parsing import ParsedEvent
from core.rules.catalog import default_catalog
from core.rules.engine import Engine, TenantConfig
from core.rules.facts import Facts
from core.rules.model import Mode
from core.rules.record_loading import collector_paused
from core.rules.state import RuleState
from core.simulate.canonical import (
    A,
    L,
    P,
    at,
    cp_receiver,
    cp_ticket,
    cp_transfer,
    cp_write_off,
    square_drawer,
    square_txn,
)

TARGET = Target("throughput", 20_000.0, "≥ 20,000 events/s (one core)")
MERCHANT = "m_bench_rules"


def workload(
    count: int, seed: int = 7, *, store: int = 1, mean_gap_minutes: float = 2.0
) -> list[ParsedEvent]:
    """``count`` parsed events of one store, one every ``mean_gap_minutes`` on average (the default
    gives about a month for 20,000 events), in event-time order. Stations, devices, staff and the
    location carry the store's number, so several stores can be merged into one merchant."""
    rng = random.Random(f"{seed}:{store}")
    out: list[ParsedEvent] = []
    minutes = 0.0
    location, cp_store, tag = f"L{store}", str(store), f"S{store}-"
    for n in range(count):
        minutes += rng.expovariate(1 / mean_gap_minutes)
        when = at(minutes)
        device, user = f"S{store}DEV{n % 6}", f"S{store}U{n % 9}"
        roll = rng.random()
        if roll < 0.40:
            lines = [
                L(f"SKU{rng.randrange(400)}", rng.randrange(300, 9_000), discount=rng.choice((0, 0, 0, 100)))
                for _ in range(rng.randrange(1, 5))
            ]
            total = sum(li.price - li.discount for li in lines)
            tenders = (
                [P("CARD", total, f"fp{rng.randrange(3_000)}")] if rng.random() < 0.7 else [P("CASH", total)]
            )
            out.append(
                square_txn(
                    f"{tag}s{n}",
                    when,
                    lines,
                    tenders,
                    device=device,
                    employee=user,
                    customer=f"C{rng.randrange(2_000)}" if rng.random() < 0.4 else None,
                    type="VOID" if rng.random() < 0.03 else "SALE",
                    location=location,
                )
            )
        elif roll < 0.43:
            out.append(
                square_txn(
                    f"{tag}r{n}",
                    when,
                    tenders=[P("CASH", rng.randrange(500, 5_000))],
                    type="REFUND",
                    refund_of=None if rng.random() < 0.3 else f"{tag}s{n - 1}",
                    device=device,
                    location=location,
                )
            )
        elif roll < 0.45:
            out.append(
                square_drawer(
                    f"{tag}sh{n}",
                    opened=at(minutes - 480),
                    closed=when,
                    expected=50_000,
                    counted=50_000 - rng.randrange(0, 3_000),
                    device=device,
                    events=[("NO_SALE", at(minutes - 60), 0)],
                    location=location,
                )
            )
        elif roll < 0.92:
            lines = []
            for _ in range(rng.randrange(1, 6)):
                price = rng.randrange(300, 9_000)
                override = rng.random() < 0.05
                lines.append(
                    L(
                        f"CP{rng.randrange(600)}",
                        price,
                        regular=round(price * 1.15) if override else price,
                        cost=round(price * rng.uniform(0.45, 0.75)),
                        category=f"CAT{rng.randrange(12)}",
                        overridden=override,
                        mix="MM1" if rng.random() < 0.05 else None,
                    )
                )
            out.append(
                cp_ticket(
                    f"{tag}t{n}",
                    when,
                    lines,
                    store=cp_store,
                    station=f"S{store}REG{n % 4}",
                    session=str(100 + int(minutes // 480)),
                    user=user,
                    customer_no=f"K{rng.randrange(500)}" if rng.random() < 0.3 else None,
                    audit=[A(0), A(2, entry="Completed")],
                    taxes=[("TN", 700), ("SHELBY", 100)],
                    voided=rng.random() < 0.02,
                    refs=[],
                )
            )
        elif roll < 0.95:
            out.append(
                cp_receiver(
                    f"{tag}R{n}",
                    when,
                    [("FERN", rng.randrange(90, 101), 100, 300)],
                    cash_paid=rng.random() < 0.2,
                )
            )
        elif roll < 0.98:
            direction = "SENT" if n % 2 else "RECEIVED"
            out.append(
                cp_transfer(
                    f"{tag}X{n // 2}", when, direction, 100 if direction == "SENT" else rng.randrange(95, 101)
                )
            )
        else:
            out.append(cp_write_off(n, when, rng.randrange(1, 20), 250, location=f"S{store}MAIN"))
    return [
        e.model_copy(update={"merchant_id": MERCHANT, "evidence_seq": n}) for n, e in enumerate(out, start=1)
    ]


def measure(count: int = 20_000, seed: int = 7) -> dict[str, float]:
    """events/s through the engine alone and with fact parsing, plus detections found."""
    events = workload(count, seed)
    engine = Engine(default_catalog())
    prepared = engine.prepare(TenantConfig(default_mode=Mode.ALERTING))
    started = time.perf_counter()
    with collector_paused():
        facts = [Facts.from_event(e) for e in events]
    parse_seconds = time.perf_counter() - started
    state = RuleState()
    found = 0
    started = time.perf_counter()
    with collector_paused():  # as the chirp consumer evaluates a batch (core/rules/service/consumer.py)
        for item in facts:
            found += len(engine.evaluate(item, state, prepared).evaluations)
    engine_seconds = time.perf_counter() - started
    return {
        "events": float(count),
        "engine_seconds": engine_seconds,
        "parse_seconds": parse_seconds,
        "engine_events_per_s": count / engine_seconds,
        "with_parse_events_per_s": count / (engine_seconds + parse_seconds),
        "detections": float(found),
        "state_keys": float(state.size()),
    }


def run(quick: bool, ctx: BenchContext) -> ScenarioResult:
    """Chirp rule engine: canonical events/s through every event rule of the catalog on one core, and a
    30-day backtest."""
    count = 5_000 if quick else 20_000
    ctx.progress(f"rules: building {count} events")
    figures = measure(count)
    result = ScenarioResult(
        name="rules",
        description=(run.__doc__ or "").strip(),
        config={"events": count, "rules": len(default_catalog().all())},
    )
    result.add(
        Measurement(
            "engine",
            "events",
            count,
            figures["engine_seconds"],
            target=TARGET,
            detail="every rule, alerting, windows and accumulators updated",
        )
    )
    result.add(
        Measurement(
            "engine + fact parsing",
            "events",
            count,
            figures["engine_seconds"] + figures["parse_seconds"],
            detail="includes ParsedEvent facts → typed canonical records",
        )
    )
    result.notes.append(
        f"{int(figures['detections'])} findings; {int(figures['state_keys'])} state keys at the end"
    )
    from core.bench.backtest import run_backtest  # needs Postgres; imported when the scenario runs

    ctx.progress("rules: journaling a multi-store history for the backtest")
    replay = run_backtest(quick, ctx.postgres_url)
    result.config["backtest"] = replay.config
    for measurement in replay.measurements:
        result.add(measurement)
    return result


if __name__ == "__main__":
    for key, value in measure().items():
        print(f"{key}: {value:,.1f}")
