"""``bubble``: Bubble's detection quality on the simulator's labelled device worlds, against generic
detectors on the same hours, and how fast offline scoring is.

Per seed, ``core.simulate.devices.device_world`` (10 stores, 50 devices, 8 weeks; ``--quick``: one
seed) is calibrated on its clean weeks 1–4 (``calibration_end``) and scored by ``core.bubble.score``,
the function ``canary bubble score`` and the live path call. Over the test weeks 5–8:

- **device-hour AP**: average precision of the device-hour scores against the positive device-hours
  of the device-scope anomaly labels (void spike, refund creep, cash/no-sale burst, off-hours). The
  store-wide drift's hours are left out of this figure (neither positive nor negative): Bubble
  signals them at the store, by design, and its episodes are scored below;
- **episodes**: an episode is a true positive when it overlaps, in time, a positive label of its
  device (device scope) or its store (store scope); precision = true / all test-window episodes;
  recall per anomaly type = labels with at least one such episode / labels;
- **promotion day**: device episodes overlapping the chain-wide promotion that no positive label
  explains (the hard negative; 0 is the target; a labelled anomaly injected on that day is a true
  signal, not the promotion's);
- **generic detectors** (bench-only dependencies, PyOD): IForest and ECOD fitted on the clean weeks'
  device-hours pooled over devices, features = transactions, average ticket, void / refund / cash
  shares, no-sales, mean gap, employees; the same device-hour AP.

Targets (docs/bubble.md, "Measure"): AP ≥ 3× the best generic detector; episode recall and
precision ≥ 0.9; no device signal on the promotion day; 50 devices × 8 weeks scored in < 2 s.
"""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import datetime
from typing import Any

import numpy as np

from core.bench.harness import BenchContext
from core.bench.results import Measurement, ScenarioResult, Target
from core.bubble import DeviceHour, calibrate, score
from core.simulate.devices import device_world
from core.simulate.devices.labels import ANOMALY_TYPES, PROMOTION, STORE_DRIFT, DeviceLabel

FULL_SEEDS, QUICK_SEEDS = (0, 1, 2), (0,)
SPEED = Target("seconds", 2.0, "50 devices × 8 weeks in < 2 s")


def average_precision(scores: np.ndarray, positive: np.ndarray) -> float | None:
    """Mean of the precision at each positive, scores ranked high to low (ties by input order)."""
    if not positive.any():
        return None
    order = np.argsort(-scores, kind="stable")
    hits = positive[order].astype(float)
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float((precision * hits).sum() / hits.sum())


def features(hours: list[DeviceHour]) -> np.ndarray:
    rows = []
    for h in hours:
        n = h.transactions
        rows.append(
            [
                n,
                h.amount_cents / n if n else 0.0,
                h.voids / n if n else 0.0,
                h.refunds / n if n else 0.0,
                h.cash_tenders / n if n else 0.0,
                h.no_sales,
                h.gap_minutes_mean or 0.0,
                h.distinct_employees,
            ]
        )
    return np.array(rows, dtype=float)


def _overlaps(start: datetime, end: datetime, label: DeviceLabel) -> bool:
    return start < label.end and label.start < end


def evaluate(seed: int) -> dict[str, Any]:
    """One seed's figures (see the module docstring)."""
    from pyod.models.ecod import ECOD
    from pyod.models.iforest import IForest

    world = device_world(seed=seed)
    cut = world.calibration_end
    thresholds = calibrate(world.hours, cut)
    started, cpu = time.perf_counter(), time.process_time()
    result = score(world.hours, thresholds)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu

    labels = [x for x in world.labels if x.polarity == "positive"]
    device_positive = {h for x in labels if x.scope == "device" for h in x.hours}
    store_hours = {h for x in labels if x.scope == "store" for h in x.hours}
    scored = {(d.device_id, d.hour): (d.score or 0.0) for d in result.devices}
    test = [h for h in world.hours if h.hour >= cut and (h.device_id, h.hour) not in store_hours]
    truth = np.array([(h.device_id, h.hour) in device_positive for h in test])
    bubble_ap = average_precision(np.array([scored.get((h.device_id, h.hour), 0.0) for h in test]), truth)

    clean = features([h for h in world.hours if h.hour < cut])
    generic: dict[str, float | None] = {}
    for name, model in (("IForest", IForest(random_state=seed)), ("ECOD", ECOD())):
        model.fit(clean)
        generic[name] = average_precision(np.asarray(model.decision_function(features(test))), truth)

    episodes = [e for e in result.episodes if e.end > cut]
    true_episodes = 0
    explained: set[int] = set()  # episodes (by object id) that overlap a positive label of theirs
    found: dict[str, list[bool]] = defaultdict(list)
    matched: set[int] = set()
    for e in episodes:
        hit = [
            i
            for i, x in enumerate(labels)
            if x.scope == e.scope
            and (x.device_id == e.device_id if e.scope == "device" else x.store_id == e.store_id)
            and _overlaps(e.start, e.end, x)
        ]
        true_episodes += bool(hit)
        matched.update(hit)
        if hit:
            explained.add(id(e))
    for i, x in enumerate(labels):
        found[x.scenario_type].append(i in matched)
    promotion = [x for x in world.labels if x.scenario_type == PROMOTION]
    on_promotion = sum(
        1
        for e in episodes
        if e.scope == "device"
        and id(e) not in explained  # a labelled anomaly that happens on that day is a true signal
        and any(_overlaps(e.start, e.end, p) for p in promotion)
    )
    return {
        "seed": seed,
        "devices": len(world.devices),
        "device_hours": len(world.hours),
        "score_seconds": round(seconds, 3),  # wall
        "score_cpu_seconds": round(cpu, 3),  # this process's CPU: one core, whatever else runs
        "ap": {"bubble": bubble_ap, **generic},
        "episodes": len(episodes),
        "true_episodes": true_episodes,
        "recall": {t: [sum(v), len(v)] for t, v in sorted(found.items())},
        "promotion_device_episodes": on_promotion,
        "thresholds": thresholds.source,
    }


def run(quick: bool, ctx: BenchContext) -> ScenarioResult:
    """Bubble: per-anomaly recall, device-hour AP and episode precision on labelled device worlds,
    against PyOD's IForest and ECOD; offline scoring speed at 50 devices × 8 weeks."""
    seeds = QUICK_SEEDS if quick else FULL_SEEDS
    result = ScenarioResult(name="bubble", config={"seeds": list(seeds), "stores": 10, "weeks": 8})
    runs = []
    for seed in seeds:
        ctx.progress(f"bubble: seed {seed}")
        runs.append(evaluate(seed))
    fastest = min(runs, key=lambda r: r["score_cpu_seconds"])
    result.add(
        Measurement(
            "offline scoring",
            "device-hours",
            fastest["device_hours"],
            fastest["score_cpu_seconds"],
            target=SPEED,
            detail=f"{fastest['devices']} devices × 8 weeks, core.bubble.score, CPU seconds (one core), "
            f"fastest of {len(runs)} seeds; wall {fastest['score_seconds']} s",
        )
    )

    def mean(values: list[float | None]) -> float | None:
        kept = [v for v in values if v is not None]
        return round(sum(kept) / len(kept), 3) if kept else None

    ap = {name: mean([r["ap"][name] for r in runs]) for name in ("bubble", "IForest", "ECOD")}
    recall: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in runs:
        for t, (hit, total) in r["recall"].items():
            recall[t][0] += hit
            recall[t][1] += total
    found = sum(recall[t][0] for t in ANOMALY_TYPES)
    positives = sum(recall[t][1] for t in ANOMALY_TYPES)
    episodes = sum(r["episodes"] for r in runs)
    true_episodes = sum(r["true_episodes"] for r in runs)
    best = max((v for k, v in ap.items() if k != "bubble" and v is not None), default=None)
    result.quality = {
        "device_hour_ap": ap,
        "ap_ratio_to_best_generic": round(ap["bubble"] / best, 2) if ap["bubble"] and best else None,
        "episode_precision": round(true_episodes / episodes, 3) if episodes else None,
        "episode_recall": round(found / positives, 3) if positives else None,
        "recall_per_type": {t: recall[t] for t in ANOMALY_TYPES},
        "promotion_device_episodes": sum(r["promotion_device_episodes"] for r in runs),
        "runs": runs,
        "targets": {
            "ap_ratio": 3.0,
            "episode_precision": 0.9,
            "episode_recall": 0.9,
            "promotion_device_episodes": 0,
        },
    }
    q = result.quality
    result.notes += [
        f"device-hour AP: Bubble {ap['bubble']}, IForest {ap['IForest']}, ECOD {ap['ECOD']} "
        f"(ratio to the best generic {q['ap_ratio_to_best_generic']}; target ≥ 3)",
        f"episodes: precision {q['episode_precision']} ({true_episodes} of {episodes}), recall "
        f"{q['episode_recall']} ({found} of {positives} labels); targets ≥ 0.9",
        "recall per type: "
        + ", ".join(f"{t} {recall[t][0]}/{recall[t][1]}" for t in ANOMALY_TYPES if t != STORE_DRIFT)
        + f", {STORE_DRIFT} {recall[STORE_DRIFT][0]}/{recall[STORE_DRIFT][1]}",
        f"device episodes on the chain-wide promotion day: {q['promotion_device_episodes']} (target 0)",
    ]
    return result
