"""``detection``: Chirp's detection quality on a simulated merchant, scored against its labels.

A world is generated (full: 5 stores × 90 days, garden, mixed vendors; ``--quick``: 2 × 7) and
replayed into a fresh embedded Canary (SQLite + in-process bus): the webhooks as a batch import of
their bodies, the drawers through the real poller against the world's API pages, the Counterpoint
exports through the batch path; every stage runs, with the vertical's pack applied and every rule
forced to observation so that it writes its detections (``core.demo.rule_modes``, audited).

Each detection is judged against the labels by ``core.demo.matching`` — rule, then entity or
object, then time: it touches a label when one of its ids (entity, employee, customer, station,
store, drawer session, vendor, categories), in the vendor's terms, is the label's entity or one of
its objects and it occurred within the label's window ± 2 h. It is a **true positive** if a touched
label is a positive for its rule; a **false positive** if a touched label is a hard negative for its
rule (outside the label's allowed queue) or if no label explains it (unlabelled); **tolerated**
(neither) if its rule is in a touched label's ``also_may_fire`` or it sits in a hard negative's
allowed queue. A positive label is found when a true positive matched it, else missed.

The same world is then replayed a second time into another fresh Canary with its arrivals out of
order, as vendors deliver them (``shuffled``): the webhook bodies permuted within a bound of
``SHUFFLE_BOUND`` deliveries (Square retries for 24 hours, so a delivery can arrive well after later
ones) with one in ``DUPLICATE_EVERY`` delivered again later (a retry, same event id), and the
Counterpoint backfill's chunks of ``CHUNK`` documents imported in a shuffled order. Drawer shifts are
polled as the poller pages them. Both runs are scored the same way; the report gives precision and
recall for each and whether they agree (the same scores per rule), and names the rules that differ.

Scores per rule and per family (``core.demo.scoring``): precision = tp / (tp + fp) over detections,
recall = found / positives over labels, F1, and a cost-weighted score found / (found + 5·fp +
1·missed) — a false accusation costs five misses. Labels for Bubble's rules (``A-BUBBLE-*``: this
replay does not score device-hours; ``canary bench bubble`` measures them) and for rules outside the
catalog are reported apart and left out of the totals. Suppressed
detections (allow-listed) never reach a queue and are not scored.
"""

from __future__ import annotations

import random
import shutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from itertools import islice
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from core.bench.harness import BenchContext
from core.bench.results import Measurement, ScenarioResult
from core.bootstrap import Container, bootstrap
from core.demo import replay, scoring
from core.demo.detections import load_detections
from core.demo.feed import WorldDirectory, read_world
from core.demo.matching import Label, Matching, match
from core.demo.rule_modes import make_rules_write
from core.demo.square_pages import SimulatedSquareApi
from core.ingest.backfill import CHUNK, ImportResult, accept_all, counterpoint_directory
from core.ingest.inbox import IncomingEvent
from core.pipeline.workers import drain
from core.rules.catalog import Catalog, default_catalog
from core.settings import Settings
from core.simulate import build_world, stream, write

OUTSIDE_CATALOG = "outside the catalog"  # or Bubble's, which this replay does not score
BUBBLE_FAMILIES = frozenset({"anomaly", "store_anomaly"})


@dataclass(frozen=True)
class Size:
    seed: int
    stores: int
    days: int
    vertical: str = "garden"


FULL = Size(seed=7, stores=5, days=90)
QUICK = Size(seed=7, stores=2, days=7)
SHUFFLE_SEED = 15
SHUFFLE_BOUND = 2_000  # how many deliveries a late one may arrive behind
DUPLICATE_EVERY = 20  # one delivery in this many arrives twice


def bounded_shuffle(events: Iterable[IncomingEvent], rng: random.Random) -> list[IncomingEvent]:
    """The deliveries, each moved back by up to ``SHUFFLE_BOUND`` places, some delivered twice."""
    keyed = []
    for n, event in enumerate(events):
        keyed.append((n + rng.uniform(0, SHUFFLE_BOUND), n, event))
        if rng.randrange(DUPLICATE_EVERY) == 0:
            keyed.append((n + rng.uniform(0, SHUFFLE_BOUND), n, event))
    return [event for _at, _n, event in sorted(keyed, key=lambda k: (k[0], k[1]))]


def shuffled_chunks(events: Iterator[IncomingEvent], rng: random.Random) -> list[IncomingEvent]:
    """A backfill's chunks of ``CHUNK`` units, imported in a shuffled order."""
    chunks = []
    while chunk := list(islice(events, CHUNK)):
        chunks.append(chunk)
    rng.shuffle(chunks)
    return [event for chunk in chunks for event in chunk]


@dataclass
class Replayed:
    labels: list[Label]
    matching: Matching
    sealed: int
    seconds: float
    verified: bool


def replay_world(
    size: Size, work_dir: Path, progress: BenchContext, shuffle: random.Random | None = None
) -> Replayed:
    """Replay the world in the order it was generated, or (``shuffle``) out of order as above."""
    if work_dir.exists():
        shutil.rmtree(work_dir)
    work_dir.mkdir(parents=True)
    progress.progress(f"detection: simulating {size.stores} stores × {size.days} days")
    built = build_world(size.seed, stores=size.stores, days=size.days, vertical=size.vertical)
    world = read_world(write(stream(built), work_dir / "world"))
    api = SimulatedSquareApi(world.square_api_dir)
    settings = Settings(
        database_url=SecretStr(f"sqlite:///{work_dir / 'canary.db'}"),
        redis_url=None,
        var_dir=work_dir / "var",
        worker_block_ms=0,
    )
    container = bootstrap(settings, fetcher_factory=lambda _s, _m, _l: api)
    merchant = world.merchant.merchant_id
    try:
        replay.onboard(container, world)
        make_rules_write(container.chirp_service, merchant, vertical=size.vertical, actor="bench:detection")
        began = time.perf_counter()
        how = "out of order" if shuffle else "in order"
        progress.progress(f"detection: importing webhooks, drawers and Counterpoint exports {how}")
        if shuffle is None:
            sealed = replay.import_webhooks(container, world, lambda _n: None).accepted
            sealed += replay.poll_drawers(container, world, api).accepted
            sealed += replay.import_counterpoint(container, world, lambda _n: None).accepted
        else:
            sealed = _import_shuffled(container, world, api, shuffle).accepted
        progress.progress(f"detection: running every stage over {sealed:,} events")
        drain(container.pipeline)
        seconds = time.perf_counter() - began
        verified = container.verifier.verify(merchant).ok
        labels = [Label.of_json(raw) for raw in world.labels()]
        matching = match(load_detections(container.db, merchant), labels)
    finally:
        container.close()
    return Replayed(labels, matching, sealed, seconds, verified)


def _import_shuffled(
    container: Container, world: WorldDirectory, api: SimulatedSquareApi, rng: random.Random
) -> ImportResult:
    total = ImportResult()
    if world.counterpoint_batch.is_dir():
        units = counterpoint_directory(world.merchant.merchant_id, world.counterpoint_batch)
        total += accept_all(container.inbox, shuffled_chunks(units, rng))
    total += accept_all(container.inbox, bounded_shuffle(replay.webhook_events(world), rng))
    return total + replay.poll_drawers(container, world, api)


@cache
def _catalog() -> Catalog:
    return default_catalog()


def family_of(rule_id: str) -> str:
    catalog = _catalog()
    rule = catalog.rules.get(rule_id)
    if rule is None or rule.family.value in BUBBLE_FAMILIES:
        return OUTSIDE_CATALOG
    return rule.family.value


def _line(score: scoring.Score) -> str:
    def pct(value: float | None) -> str:
        return "—" if value is None else f"{value:.2f}"

    return (
        f"{score.name}: precision {pct(score.precision)}, recall {pct(score.recall)}, F1 {pct(score.f1)}, "
        f"cost-weighted {pct(score.cost_weighted)} (tp {score.tp}, fp {score.fp}, tolerated "
        f"{score.tolerated}; found {score.found} of {score.found + score.missed})"
    )


def _overall(replayed: Replayed) -> scoring.Score:
    return scoring.total(
        s
        for rule, s in scoring.per_rule(replayed.matching, replayed.labels).items()
        if family_of(rule) != OUTSIDE_CATALOG
    )


def arrival_order(ordered: Replayed, shuffled: Replayed) -> dict[str, Any]:
    """The two runs' precision and recall, whether they agree, and the rules whose scores differ."""
    first = {r: s.as_dict() for r, s in scoring.per_rule(ordered.matching, ordered.labels).items()}
    second = {r: s.as_dict() for r, s in scoring.per_rule(shuffled.matching, shuffled.labels).items()}
    differ = sorted(r for r in first.keys() | second.keys() if first.get(r) != second.get(r))
    a, b = _overall(ordered), _overall(shuffled)
    return {
        "ordered": {"precision": a.as_dict()["precision"], "recall": a.as_dict()["recall"]},
        "shuffled": {"precision": b.as_dict()["precision"], "recall": b.as_dict()["recall"]},
        "agree": not differ,
        "rules_differing": differ,
        "shuffle": {
            "seed": SHUFFLE_SEED,
            "bound_deliveries": SHUFFLE_BOUND,
            "duplicate_every": DUPLICATE_EVERY,
            "chunk": CHUNK,
        },
    }


def scored(result: ScenarioResult, replayed: Replayed) -> None:
    """Put the scores on the result: figures in ``quality``, one readable line per family in notes."""
    rules = scoring.per_rule(replayed.matching, replayed.labels)
    families = scoring.grouped(rules, family_of)
    catalog = scoring.total(s for rule, s in rules.items() if family_of(rule) != OUTSIDE_CATALOG)
    result.quality = {
        "weights": {"false_positive": scoring.FP_COST, "false_negative": scoring.FN_COST},
        "overall": catalog.as_dict(),
        "families": [s.as_dict() for s in families.values()],
        "rules": [s.as_dict() | {"family": family_of(r)} for r, s in rules.items()],
        "missed": [lb.scenario_id for lb in replayed.matching.missed(replayed.labels)],
        "hard_negatives_fired": sorted(replayed.matching.charged),
        "hard_negatives_quiet": [lb.scenario_id for lb in replayed.matching.quiet(replayed.labels)],
    }
    result.notes.append(
        f"weights: a false positive costs {scoring.FP_COST}, a miss {scoring.FN_COST}; "
        "cost-weighted = found / (found + 5·fp + 1·missed)"
    )
    result.notes.append(_line(catalog))
    result.notes.extend(_line(s) for s in families.values())
    if not replayed.verified:
        result.notes.append("the ledger did NOT verify after the replay")


def run(quick: bool, ctx: BenchContext) -> ScenarioResult:
    size = QUICK if quick else FULL
    result = ScenarioResult(
        "detection",
        config={
            "seed": size.seed,
            "stores": size.stores,
            "days": size.days,
            "vertical": size.vertical,
            "vendors": "mixed",
            "storage": "sqlite + in-process bus",
            "mode": "observation (forced, audited)",
        },
    )
    replayed = replay_world(size, ctx.work_dir / "detection", ctx)
    overall = _overall(replayed)
    result.add(
        Measurement(
            "replay: import → every stage",
            "events",
            replayed.sealed,
            replayed.seconds,
            detail=f"{len(replayed.matching.judged):,} detections scored against "
            f"{len(replayed.labels)} labels; catalog rules: {_line(overall)}",
        )
    )
    scored(result, replayed)
    shuffled = replay_world(size, ctx.work_dir / "detection-shuffled", ctx, random.Random(SHUFFLE_SEED))
    result.add(
        Measurement(
            "replay out of order: import → every stage",
            "events",
            shuffled.sealed,
            shuffled.seconds,
            detail=f"{len(shuffled.matching.judged):,} detections scored; catalog rules: "
            f"{_line(_overall(shuffled))}",
        )
    )
    order = arrival_order(replayed, shuffled)
    result.quality["arrival_order"] = order
    verdict = "agree" if order["agree"] else "DIFFER in " + ", ".join(order["rules_differing"])
    result.notes.append(
        f"arrival order: in order {_pr(order['ordered'])}, shuffled {_pr(order['shuffled'])}: {verdict}"
    )
    if not (replayed.verified and shuffled.verified):
        result.status = "failed"
        result.error = "the ledger did not verify after the replay"
    return result


def _pr(scores: dict[str, Any]) -> str:
    return f"precision {scores['precision']}, recall {scores['recall']}"
