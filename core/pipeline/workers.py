"""Builds worker runners for the pipeline stages, and drives them together in embedded mode."""

from __future__ import annotations

import socket
import threading
from collections.abc import Sequence

from core.bootstrap import Container
from core.pipeline.sweeper import merchant_ids
from core.workers.runner import Stage, WorkerRunner

# In pipeline order: a stage's output is a later stage's input.
STAGE_NAMES = ("seal", "parse", "customers", "chirp")


def stage(container: Container, name: str) -> Stage:
    stages: dict[str, Stage] = {
        "seal": container.seal,
        "parse": container.parse,
        "customers": container.customers,
        "chirp": container.chirp,
    }
    try:
        return stages[name]
    except KeyError:
        raise LookupError(f"unknown stage {name!r}: choose from {', '.join(stages)} or all") from None


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


def housekeeping(container: Container) -> None:
    """The periodic chores: re-publish what the bus lost, anchor and witness new checkpoints."""
    container.sweeper.sweep()
    for merchant_id in merchant_ids(container.db):
        container.anchoring.run(merchant_id)
        container.witnessing.run(merchant_id)


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
        self._sweep_thread = threading.Thread(target=self._sweep_loop, name="sweeper", daemon=True)
        self._interval = container.settings.inbox_sweep_after_seconds

    def start(self) -> None:
        for thread in [*self._threads, self._sweep_thread]:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for r in self._runners:
            r.stop()
        for thread in [*self._threads, self._sweep_thread]:
            thread.join(timeout=10)

    def _sweep_loop(self) -> None:
        while not self._stop.wait(self._interval):
            housekeeping(self._container)


def sweep_forever(container: Container, stop: threading.Event) -> None:
    """Housekeeping on its own schedule until ``stop`` is set (``canary worker sweeper``)."""
    while True:
        housekeeping(container)
        if stop.wait(container.settings.inbox_sweep_after_seconds):
            return
