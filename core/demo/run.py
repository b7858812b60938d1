"""``canary demo``: the embedded end-to-end run on a simulated merchant.

A fresh SQLite database and the in-process bus under the demo's directory; a small simulated world
(``core.simulate``) written beside it; its webhooks through the real ingress (signed HTTP into the
ASGI app), its cash drawers through the real poller, its Counterpoint exports through the batch
path (``replay``); every stage, Fox's included (the rules alert, so cases open); the ledger
verified; the detections matched to the world's labels.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pydantic import SecretStr
from rich.console import Console
from rich.progress import Progress

from core.bootstrap import Container, bootstrap
from core.clock import Clock, SystemClock
from core.demo import replay
from core.demo.detections import load_detections
from core.demo.feed import WorldDirectory, read_world
from core.demo.matching import Label, match
from core.demo.rule_modes import make_rules_write
from core.demo.square_pages import SimulatedSquareApi
from core.demo.summary import DemoSummary, attribute, count, count_cases
from core.pipeline.workers import STAGE_NAMES, drain
from core.rules.model import Mode
from core.settings import Settings
from core.simulate import build_world, stream, write


@dataclass(frozen=True)
class DemoWorld:
    """The simulated merchant: small enough for the demo to finish in about a minute on two cores."""

    seed: int = 7
    stores: int = 2  # mixed vendors: store 1 on Square, store 2 on Counterpoint
    days: int = 21  # every scenario still fits (42 labels); 30 days takes about 2 minutes
    vertical: str = "garden"

    def describe(self) -> str:
        return f"{self.vertical} merchant, {self.stores} stores × {self.days} days, seed {self.seed}"

    def start(self, today: date) -> date:
        """The world's first trading day, relative to the clock: the Sunday on or before ``today -
        days``, so the world ends before today (``rules status`` counts its days since cutover, and
        customer segments see recent customers) and always starts on a Sunday, like the simulator's
        own default world (2026-03-01). The same seed and the same week give the same world."""
        latest = today - timedelta(days=self.days)
        return latest - timedelta(days=(latest.weekday() + 1) % 7)


MARKER = "demo.json"  # written beside a demo's database: what a later demo may replace
OWN_FILES = ("canary.db", "canary.db-wal", "canary.db-shm", "canary.db-journal", MARKER)


class DemoDirectoryError(ValueError):
    """The chosen directory holds a Canary database the demo did not write; the demo keeps off it."""


def demo_settings(var_dir: Path) -> Settings:
    """Always embedded, always fresh: the demo replaces its own earlier run in ``var_dir`` (database,
    world) and refuses a database it did not write. The keys stay, so they match the new database."""
    if (var_dir / "canary.db").exists() and not (var_dir / MARKER).exists():
        raise DemoDirectoryError(
            f"{var_dir} holds a Canary database the demo did not write, and the demo will not replace "
            "it: pass --var-dir var/demo (the demo then prints the environment line to use its world)"
        )
    for name in OWN_FILES:
        (var_dir / name).unlink(missing_ok=True)
    shutil.rmtree(var_dir / "world", ignore_errors=True)
    var_dir.mkdir(parents=True, exist_ok=True)
    return Settings(
        database_url=SecretStr(f"sqlite:///{var_dir / 'canary.db'}"),
        redis_url=None,
        var_dir=var_dir,
        worker_block_ms=0,
    )


def run_demo(spec: DemoWorld, var_dir: Path, console: Console, clock: Clock | None = None) -> DemoSummary:
    """``clock`` dates the world (see ``DemoWorld.start``) and runs the pipeline; tests pin it."""
    started = time.monotonic()
    clock = clock or SystemClock()
    settings = demo_settings(var_dir)
    first_day = spec.start(clock.now().astimezone(UTC).date())
    with console.status("simulating the merchant's trading"):
        built = build_world(
            spec.seed, stores=spec.stores, days=spec.days, vertical=spec.vertical, start=first_day
        )
        world = read_world(write(stream(built), var_dir / "world"))
    api = SimulatedSquareApi(world.square_api_dir)
    container = bootstrap(settings, clock=clock, fetcher_factory=lambda _s, _m, _l: api)
    summary = DemoSummary(world.merchant.merchant_id, world=f"{world.merchant.name}: {spec.describe()}")
    try:
        replay.onboard(container, world, cutover=datetime.combine(first_day, datetime.min.time(), UTC))
        (var_dir / MARKER).write_text(
            json.dumps({"merchant_id": world.merchant.merchant_id, "seed": spec.seed}) + "\n"
        )
        make_rules_write(
            container.chirp_service,
            world.merchant.merchant_id,
            vertical=spec.vertical,
            actor="demo",
            mode=Mode.ALERTING,
        )
        with Progress(console=console) as progress:
            _feed(container, world, api, summary, progress)
            _stages(container, progress)
        report = container.verifier.verify(world.merchant.merchant_id)
        summary.verified, summary.problems = report.ok, report.problems
        count(container, summary)
        count_cases(container, summary)
        labels = [Label.of_json(raw) for raw in world.labels()]
        detected = match(load_detections(container.db, world.merchant.merchant_id), labels)
        attribute(summary, detected, labels, _readiness(container, world.merchant.merchant_id))
        summary.console_token = container.tokens.create(
            world.merchant.merchant_id, "operator", label="canary demo console", expires_in=timedelta(days=7)
        ).token
        summary.var_dir = var_dir.resolve()
    finally:
        container.close()
    summary.seconds = time.monotonic() - started
    return summary


def _readiness(container: Container, merchant_id: str) -> dict[str, str | None]:
    """Per catalog rule, None when this world's data feeds it, else what it is missing."""
    card = container.chirp_service.substrate_scorecard(merchant_id)
    return {r.rule_id: None if r.status == "applicable" else r.message for r in card.rules}


def _feed(
    container: Container,
    world: WorldDirectory,
    api: SimulatedSquareApi,
    summary: DemoSummary,
    progress: Progress,
) -> None:
    hooks = progress.add_task("Square webhooks → ingress (HTTP)", total=world.delivery_count())
    summary.answers = replay.deliver_http(container, world, lambda n: progress.advance(hooks, n)).answers
    polls = progress.add_task("Square drawers ← API (polling)", total=1)
    summary.polled = replay.poll_drawers(container, world, api)
    progress.update(polls, completed=1)
    batch = progress.add_task("Counterpoint exports (batch)", total=None)
    summary.batch = replay.import_counterpoint(container, world, lambda n: progress.advance(batch, n))
    units = summary.batch.accepted + summary.batch.duplicates
    progress.update(batch, total=units, completed=units)


def _stages(container: Container, progress: Progress) -> None:
    # One stage at a time, each until idle: the stages are chained, so this ends where ``drain``
    # over all of them would, and the bar shows which stage the time goes to.
    task = progress.add_task("stages: " + " → ".join(STAGE_NAMES), total=len(STAGE_NAMES))
    for name in STAGE_NAMES:
        progress.update(task, description=f"stage: {name}")
        drain(container.pipeline, (name,))
        progress.advance(task)
    progress.update(task, description="stages: " + " → ".join(STAGE_NAMES))
