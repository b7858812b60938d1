"""The 30-day backtest of a 10-store merchant, as an operator runs it, on Postgres.

The merchant's history (the rules workload, one stream per store, merged in event-time order) goes
through the Chirp consumer in ``dry_run`` mode — the real path that journals what each rule saw —
untimed. Then the timed part: what ``dry_run_rule`` does for a backtest of every rule at once, as
the application role under row-level security: load 30 days plus the 30-day warm-up from the
journal, replay it point-in-time through all rules with proposed parameters, collect the hits.
Also timed alone: one rule's ``ChirpService.dry_run_rule`` (the MCP tool's path). Target: < 30 s.
"""

from __future__ import annotations

import heapq
import time
from datetime import datetime, timedelta

from core.bench.pg_scratch import scratch_database
from core.bench.results import Measurement, ScenarioResult, Target
from core.bench.rules import MERCHANT, workload
from core.bus.memory import InProcessBus
from core.clock import FixedClock
from core.db.engine import make_engine
from core.db.uow import Database
from core.domain.parsing import ParsedEvent
from core.rules.backtest import backtest
from core.rules.catalog import default_catalog
from core.rules.engine import Engine
from core.rules.service import ChirpService, store
from core.rules.service.consumer import ChirpStage

TARGET = Target("seconds", 30.0, "< 30 s for 30 days of a 10-store merchant")
DAYS, WARMUP_DAYS = 30, 30
BATCH = 2_000


def history(stores: int, days: int, events_per_store_day: int) -> list[ParsedEvent]:
    """Every store's events merged by time, renumbered as one merchant's evidence sequence."""
    gap = 24 * 60 / events_per_store_day
    per_store = [
        workload(days * events_per_store_day, store=n, mean_gap_minutes=gap) for n in range(1, stores + 1)
    ]
    merged = heapq.merge(*per_store, key=_when)
    return [e.model_copy(update={"evidence_seq": seq}) for seq, e in enumerate(merged, start=1)]


def _when(event: ParsedEvent) -> datetime:
    if event.occurred_at is None:
        raise ValueError(f"workload event {event.entity_id} has no time")
    return event.occurred_at


def run_backtest(quick: bool, postgres_url: str) -> ScenarioResult:
    stores, per_day = (2, 60) if quick else (10, 300)
    events = history(stores, DAYS + WARMUP_DAYS, per_day)
    start = _when(events[0]) + timedelta(days=WARMUP_DAYS)
    end = start + timedelta(days=DAYS)
    result = ScenarioResult(
        name="backtest",
        description="30-day backtest of every rule for a multi-store merchant (Postgres, app role)",
        config={"stores": stores, "events_per_store_day": per_day, "days": DAYS, "warmup_days": WARMUP_DAYS},
    )
    with scratch_database(postgres_url) as scratch:
        db = Database(make_engine(scratch.app_url, pool_size=2))
        try:
            clock = FixedClock(end)
            stage = ChirpStage(db, InProcessBus(), clock)  # no config: every rule dry-runs, journaled
            started = time.perf_counter()
            for i in range(0, len(events), BATCH):
                stage.process(MERCHANT, events[i : i + BATCH])
            journal_seconds = time.perf_counter() - started
            engine, catalog = Engine(default_catalog()), default_catalog()
            rule_ids = [r.id for r in catalog.all()]

            started = time.perf_counter()
            with db.tenant(MERCHANT) as s:
                config = store.load_config(s, MERCHANT)
                facts = store.load_journal(s, MERCHANT, start - timedelta(days=WARMUP_DAYS), end)
            loaded = time.perf_counter()
            replay = backtest(facts, engine, rule_ids=rule_ids, start=start, end=end, base=config)
            finished = time.perf_counter()

            one_started = time.perf_counter()
            single = ChirpService(db, clock).dry_run_rule(MERCHANT, "Q-VR-03", start, end)
            one_seconds = time.perf_counter() - one_started
        finally:
            db.dispose()
    in_range = replay.events_in_range
    result.add(
        Measurement(
            "backtest, all rules",
            "events",
            len(facts),
            finished - started,
            target=TARGET,
            detail=f"{len(rule_ids)} rules; {in_range} events in range + warm-up; {len(replay.hits)} hits",
        )
    )
    result.add(Measurement("  of which journal load", "events", len(facts), loaded - started))
    result.add(Measurement("  of which replay", "events", len(facts), finished - loaded))
    result.add(
        Measurement(
            "dry_run_rule (one rule, service)",
            "events",
            single.events_replayed,
            one_seconds,
            detail=f"Q-VR-03: {single.hits} hits",
        )
    )
    result.add(
        Measurement(
            "journaling the history (consumer, dry_run)",
            "events",
            len(events),
            journal_seconds,
            reference=True,
            detail="untimed setup: the chirp consumer writing the journal",
        )
    )
    return result
