"""Builds worker runners for the pipeline stages, and drives them together in embedded mode.

Everything here works on a ``Pipeline``: the one table of stages and the housekeeping chores, built
by the composition root (``core/bootstrap.py``) and handed down, so this module never imports it.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from core.bubble.service.scoring import rescore_if_changed
from core.bus.port import PARSED_EVENTS, StreamBus
from core.cases.service.digests import DigestSchedule
from core.cases.service.notify import FoxNotifier
from core.clock import Clock
from core.db.uow import Database
from core.ledger.anchor_service import AnchorService
from core.ledger.witness import WitnessService
from core.pipeline.alarms import Alarm, StageAlarms, StageRef
from core.pipeline.sweeper import InboxSweeper, merchant_ids, safe_bus_lost
from core.settings import Settings
from core.workers.runner import Stage, WorkerRunner

log = logging.getLogger(__name__)
LOSS_CHECK_SECONDS = 1.0  # how soon a bus that lost its data is noticed

# In pipeline order: a stage's output is a later stage's input. ``Pipeline`` refuses a table that
# differs, so the names the CLI offers before anything is built are the stages that run.
STAGE_NAMES = ("seal", "parse", "customers", "chirp", "bubble", "fox")


@dataclass(frozen=True)
class Pipeline:
    """What the workers run: every stage by name, in pipeline order, and what housekeeping needs."""

    stages: Mapping[str, Stage]
    db: Database
    bus: StreamBus
    clock: Clock
    settings: Settings
    sweeper: InboxSweeper
    anchoring: AnchorService
    witnessing: WitnessService
    notifier: FoxNotifier
    digests: DigestSchedule

    def __post_init__(self) -> None:
        if tuple(self.stages) != STAGE_NAMES:
            raise ValueError(f"the stage table {tuple(self.stages)} is not {STAGE_NAMES}")
        named = [name for name, s in self.stages.items() if s.name != name]
        if named:
            raise ValueError(f"stages filed under another name: {', '.join(named)}")

    def refs(self) -> list[StageRef]:
        return [StageRef(s.name, s.stream, s.group) for s in self.stages.values()]


def stage(pipeline: Pipeline, name: str) -> Stage:
    try:
        return pipeline.stages[name]
    except KeyError:
        raise LookupError(
            f"unknown stage {name!r}: choose from {', '.join(pipeline.stages)} or all"
        ) from None


def stage_alarms(pipeline: Pipeline) -> list[Alarm]:
    """Stuck-stage alarms over every stage (``core/pipeline/alarms.py``)."""
    alarms = StageAlarms(
        pipeline.db,
        pipeline.bus,
        pipeline.clock,
        stuck_after_seconds=pipeline.settings.stage_stuck_after_seconds,
    )
    return alarms.check(pipeline.refs())


def runner(pipeline: Pipeline, name: str, *, consumer: str | None = None) -> WorkerRunner:
    s = pipeline.settings
    return WorkerRunner(
        pipeline.bus,
        stage(pipeline, name),
        consumer=consumer or f"{name}-{socket.gethostname()}-{threading.get_native_id()}",
        batch_size=s.worker_batch_size,
        block_ms=s.worker_block_ms,
        claim_idle_ms=s.worker_claim_idle_ms,
        max_deliveries=s.worker_max_deliveries,
        linger_ms=s.worker_linger_ms,
    )


def drain(pipeline: Pipeline, names: Sequence[str] = STAGE_NAMES) -> None:
    """Run every stage until no stage has work left (the embedded demo and tests): a stage's output
    is the next one's input, so loop until a full pass does nothing."""
    runners = [runner(pipeline, n, consumer=f"{n}-inline") for n in names]
    while True:
        before = sum(r.processed for r in runners)
        for r in runners:
            r.run_until_idle()
        if sum(r.processed for r in runners) == before:
            break
    housekeeping(pipeline)


def housekeeping(pipeline: Pipeline, *, recover: bool = False) -> None:
    """The periodic chores: re-publish what the bus lost, anchor and witness new checkpoints, deliver
    due case notifications and scheduled digests, rescore Bubble where the device-hours changed."""
    # every consumer of canary:detection
    consumers = [s.group for s in pipeline.stages.values() if s.stream == PARSED_EVENTS]
    pipeline.sweeper.sweep(recover=recover, consumers=consumers)
    for merchant_id in merchant_ids(pipeline.db):
        pipeline.anchoring.run(merchant_id)
        pipeline.witnessing.run(merchant_id)
        pipeline.notifier.deliver(merchant_id)  # Fox's due notifications (core/cases/service/notify.py)
        pipeline.digests.run(merchant_id)  # scheduled case digests (core/cases/service/digests.py)
        # Bubble (core/bubble/service/scoring.py): scores, episodes, and their A-BUBBLE-* detections
        rescore_if_changed(pipeline.db, merchant_id, publisher=pipeline.bus, clock=pipeline.clock)


class InlineWorkers:
    """Every stage on a thread of this process: the embedded ``canary serve``."""

    def __init__(self, pipeline: Pipeline, names: Sequence[str] = STAGE_NAMES) -> None:
        self._runners = [runner(pipeline, n, consumer=f"{n}-inline") for n in names]
        self._threads = [
            threading.Thread(target=r.run_forever, name=f"stage-{n}", daemon=True)
            for r, n in zip(self._runners, names, strict=True)
        ]
        self._stop = threading.Event()
        self._sweep_thread = threading.Thread(
            target=sweep_forever, args=(pipeline, self._stop), name="sweeper", daemon=True
        )

    def start(self) -> None:
        for thread in [*self._threads, self._sweep_thread]:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for r in self._runners:
            r.stop()
        for thread in [*self._threads, self._sweep_thread]:
            thread.join(timeout=10)


def sweep_forever(pipeline: Pipeline, stop: threading.Event) -> None:
    """Housekeeping every ``inbox_sweep_after_seconds`` until ``stop`` is set (``canary worker
    sweeper``, and a thread of the embedded ``canary serve``). Every ``LOSS_CHECK_SECONDS`` it asks
    whether the bus lost its data and, if so, recovers at once. A failing chore (the database or
    the bus down) is logged and tried again on the next round; the loop never ends on it."""
    interval = pipeline.settings.inbox_sweep_after_seconds
    due = time.monotonic()
    while not stop.is_set():
        lost = safe_bus_lost(pipeline.sweeper)
        if lost or time.monotonic() >= due:
            try:
                housekeeping(pipeline, recover=lost)
            except Exception:
                log.exception("housekeeping failed; retrying next round")
            due = time.monotonic() + interval
        stop.wait(min(interval, LOSS_CHECK_SECONDS))
