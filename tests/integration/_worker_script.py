"""A real worker process for `test_worker_sigterm.py`: the Redis bus and a stage that records ids.

Run as ``python -m tests.integration._worker_script URL PREFIX OUTPUT``. Each message takes a little
time, so a SIGTERM from the test lands in the middle of a batch. After each batch the stage prints a
line on stdout, which the test waits for instead of sleeping.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from core.bus.port import EVENTS, Message
from core.bus.redis_streams import RedisStreamBus
from core.workers.runner import WorkerRunner

GROUP = "recorder"


class RecordingStage:
    name = "recorder"
    stream = EVENTS
    group = GROUP

    def __init__(self, output: Path, seconds_per_message: float) -> None:
        self.output, self.seconds_per_message = output, seconds_per_message

    def handle(self, batch: Sequence[Message]) -> None:
        with self.output.open("a") as out:
            for message in batch:
                time.sleep(self.seconds_per_message)  # stands in for real work
                out.write(message.id + "\n")
                out.flush()
        print(f"batch {len(batch)}", flush=True)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("prefix")
    parser.add_argument("output", type=Path)
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--seconds-per-message", type=float, default=0.01)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    bus = RedisStreamBus.from_url(args.url, prefix=args.prefix)
    runner = WorkerRunner(
        bus,
        RecordingStage(args.output, args.seconds_per_message),
        consumer="sigterm-worker",
        batch_size=args.batch_size,
        block_ms=200,
    )
    runner.run_forever(install_signals=True)
    bus.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
