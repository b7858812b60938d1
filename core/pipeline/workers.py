"""Builds worker runners for the pipeline stages, and drives them together in embedded mode."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Sequence

from core.bootstrap import Container
from core.bubble.service.scoring import rescore_if_changed
from core.bus.port import DETECTION
from core.pipeline.alarms import Alarm, StageAlarms, StageRef
from core.pipeline.sweeper import merchant_ids, safe_bus_lost
from core.workers.runner import Stage, WorkerRunner

log = logging.getLogger(__name__)
LOSS_CHECK_SECONDS = 1.0  # how soon a bus that lost its data is noticed

# In pipeline order: a stage's output is a later stage's input.
STAGE_NAMES = ("seal", "parse", "customers", "chirp", "bubble", "fox")


def stage(container: Container, name: str) -> Stage:
    stages: dict[str, Stage] = {
        "seal": container.seal,
        "parse": container.parse,
        "customers": container.customer_projection,
        "chirp": container.chirp_stage,
        "bubble": container.bubble_stage,
        "fox": container.fox_stage,
    }
    try:
        return stages[name]
    except KeyError:
        raise LookupError(f"unknown stage {name!r}: choose from {', '.join(stages)} or all") from None


def stage_alarms(container: Container) -> list[Alarm]:
    """Stuck-stage alarms over every stage in ``STAGE_NAMES`` (``core/pipeline/alarms.py``)."""
    stages = [stage(container, name) for name in STAGE_NAMES]
    alarms = StageAlarms(
        container.db,
        container.bus,
        container.clock,
        stuck_after_seconds=container.settings.stage_stuck_after_seconds,
    )
    return alarms.check([StageRef(s.name, s.stream, s.group) for s in stages])


def runner(container: Container, name: str, *, consumer: str | None = None) -> WorkerRunner:
    s = container.settings
    return WorkerRunner(
        container.bus,
        stage(container, name),
        consumer=consumer or f"{name}-{socket.gethostname()}-{threading.get_native_id()}",
        batch_size=s.worker_batch_size,
        block_ms=s.worker_block_ms,
        claim_idle_ms=s.worker_claim_idle_ms,
        max_deliveries=s.worker_max_deliveries,
    )


def drain(container: Container, names: Sequence[str] = STAGE_NAMES) -> None:
    """Run every stage until no stage has work left (the embedded demo and tests): a stage's output
    is the next one's input, so loop until a full pass does nothing."""
    runners = [runner(container, n, consumer=f"{n}-inline") for n in names]
    while True:
        before = sum(r.processed for r in runners)
        for r in runners:
            r.run_until_idle()
        if sum(r.processed for r in runners) == before:
            break
    housekeeping(container)


def housekeeping(container: Container, *, recover: bool = False) -> None:
    """The periodic chores: re-publish what the bus lost, anchor and witness new checkpoints, deliver
    due case notifications and scheduled digests, rescore Bubble where the device-hours changed."""
    stages = [stage(container, name) for name in STAGE_NAMES]
    consumers = [s.group for s in stages if s.stream == DETECTION]  # every consumer of canary:detection
    container.sweeper.sweep(recover=recover, consumers=consumers)
    for merchant_id in merchant_ids(container.db):
        container.anchoring.run(merchant_id)
        container.witnessing.run(merchant_id)
        container.notifier.deliver(merchant_id)  # Fox's due notifications (core/cases/service/notify.py)
        container.digests.run(merchant_id)  # scheduled case digests (core/cases/service/digests.py)
        # Bubble (core/bubble/service/scoring.py): scores, episodes, and their A-BUBBLE-* detections
        rescore_if_changed(container.db, merchant_id, publisher=container.bus, clock=container.clock)


class InlineWorkers:
    """Every stage on a thread of this process: the embedded ``canary serve``."""

    def __init__(self, container: Container, names: Sequence[str] = STAGE_NAMES) -> None:
        self._runners = [runner(container, n, consumer=f"{n}-inline") for n in names]
        self._threads = [
            threading.Thread(target=r.run_forever, name=f"stage-{n}", daemon=True)
            for r, n in zip(self._runners, names, strict=True)
        ]
        self._container = container
        self._stop = threading.Event()
        self._sweep_thread = threading.Thread(
            target=sweep_forever, args=(container, self._stop), name="sweeper", daemon=True
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


def sweep_forever(container: Container, stop: threading.Event) -> None:
    """Housekeeping every ``inbox_sweep_after_seconds`` until ``stop`` is set (``canary worker
    sweeper``, and a thread of the embedded ``canary serve``). Every ``LOSS_CHECK_SECONDS`` it asks
    whether the bus lost its data and, if so, recovers at once. A failing chore (the database or
    the bus down) is logged and tried again on the next round; the loop never ends on it."""
    interval = container.settings.inbox_sweep_after_seconds
    due = time.monotonic()
    while not stop.is_set():
        lost = safe_bus_lost(container.sweeper)
        if lost or time.monotonic() >= due:
            try:
                housekeeping(container, recover=lost)
            except Exception:
                log.exception("housekeeping failed; retrying next round")
            due = time.monotonic() + interval
        stop.wait(min(interval, LOSS_CHECK_SECONDS))
