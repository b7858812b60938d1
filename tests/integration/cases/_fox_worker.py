"""A real ``fox`` worker process for test_fox_faults.py: the Redis bus, Postgres as the app role.

Run as ``python -m tests.integration.cases._fox_worker DB_URL REDIS_URL PREFIX NAME``. It consumes
``canary:alerts`` with the ``fox`` group until the stream has been idle for a while, printing a line
after each batch (the kill test waits for one instead of sleeping).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from core.bus.redis_streams import RedisStreamBus
from core.cases.service.consumer import FoxConsumer
from core.clock import SystemClock
from core.db.engine import make_engine
from core.db.uow import Database
from core.workers.runner import WorkerRunner


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("db_url")
    parser.add_argument("redis_url")
    parser.add_argument("prefix")
    parser.add_argument("name")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--idle-rounds", type=int, default=5)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    bus = RedisStreamBus.from_url(args.redis_url, prefix=args.prefix)
    db = Database(make_engine(args.db_url, pool_size=2))
    runner = WorkerRunner(
        bus,
        FoxConsumer(db, SystemClock()),
        consumer=args.name,
        batch_size=args.batch_size,
        block_ms=200,
        claim_idle_ms=300,
    )
    idle = 0
    while idle < args.idle_rounds:
        done = runner.run_once(block_ms=200)
        idle = 0 if done else idle + 1
        if done:
            print(f"batch {done}", flush=True)
    bus.close()
    db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
