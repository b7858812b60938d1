"""A worker process told to stop with SIGTERM finishes its batch, acknowledges it and exits 0.

Nothing is lost: what it acknowledged it processed, and everything else is still in the stream for
the next worker.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.bus.port import EVENTS, StreamBus
from core.bus.redis_streams import RedisStreamBus
from core.workers.runner import WorkerRunner
from tests.integration._worker_script import GROUP, RecordingStage
from tests.support.redis_service import delete_keys, redis_url, unique_prefix

pytestmark = pytest.mark.redis
ROOT = Path(__file__).parents[2]
TOTAL = 300


@pytest.fixture
def redis_bus() -> Iterator[tuple[str, str, StreamBus]]:
    url, prefix = redis_url(), unique_prefix()
    bus = RedisStreamBus.from_url(url, prefix=prefix)
    yield url, prefix, bus
    bus.close()
    delete_keys(url, prefix)


def test_sigterm_mid_batch_finishes_the_batch_acks_it_and_loses_nothing(
    redis_bus: tuple[str, str, StreamBus], tmp_path: Path
) -> None:
    url, prefix, bus = redis_bus
    ids = [bus.publish(EVENTS, {"n": str(i)}) for i in range(TOTAL)]
    output = tmp_path / "processed.txt"
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.integration._worker_script", url, prefix, str(output)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout is not None
        assert worker.stdout.readline().startswith("batch"), "the worker never finished a batch"
        worker.send_signal(signal.SIGTERM)  # lands while the next batch is being handled
        _, stderr = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0, stderr
    assert "stop requested" in stderr

    processed = output.read_text().split()
    stats = bus.stats(EVENTS, GROUP)
    delivered = TOTAL - (stats.lag or 0)
    assert stats.pending == 0  # the batch in hand was finished and acknowledged
    assert processed == ids[:delivered]  # acknowledged == processed, each once, in order
    assert 0 < delivered < TOTAL, "the worker drained the stream before the signal arrived"

    # The rest is still there for the next worker.
    successor = RecordingStage(tmp_path / "rest.txt", seconds_per_message=0)
    WorkerRunner(bus, successor, consumer="successor", block_ms=0).run_until_idle()
    assert processed + (tmp_path / "rest.txt").read_text().split() == ids
