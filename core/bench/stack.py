"""A production-shaped Canary for one benchmark run: scratch Postgres, a private Redis prefix, the
ingress and the stage workers as separate processes, and counters read straight from the database.

The workers are ``core.bench.worker`` processes (the runner of ``canary worker <stage>``) and the
ingress is ``core.bench.server`` (``canary serve`` plus a no-op route). Everything listens on loopback and is
stopped, and every Redis key under the run's prefix deleted, when the context exits.
"""

from __future__ import annotations

import base64
import os
import secrets
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import psycopg
import redis
from pydantic import SecretStr

from core.bench.harness import BenchContext
from core.bench.pg_scratch import ScratchDatabase, libpq_url, scratch_database
from core.bootstrap import Container, bootstrap
from core.settings import Settings

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Stack:
    ctx: BenchContext
    scratch: ScratchDatabase
    settings: Settings
    env: dict[str, str]
    container: Container
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def _spawn(self, role: str, argv: list[str]) -> subprocess.Popen[bytes]:
        log = (self.ctx.work_dir / f"{self.settings.bus_prefix.strip(':')}-{role}.log").open("wb")
        process = subprocess.Popen(  # noqa: S603 — our own interpreter and modules, no shell
            [self.ctx.python, *argv],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).parents[2],
        )
        log.close()
        self.processes[role] = process
        return process

    def start_server(self, *, group_commit: bool = False, group_wait_ms: float = 2.0) -> int:
        port = free_port()
        argv = ["-m", "core.bench.server", "--port", str(port)]
        if group_commit:
            argv += ["--group-commit", "--group-wait-ms", str(group_wait_ms)]
        process = self._spawn("ingress", argv)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the ingress exited with {process.returncode}; see {self.ctx.work_dir}")
            with suppress(OSError), socket.create_connection((HOST, port), timeout=0.2):
                return port
            time.sleep(0.05)
        raise RuntimeError("the ingress did not start listening within 30 s")

    def start_workers(self, *, seal: int = 1, parse: int = 1) -> None:
        for stage, count in (("seal", seal), ("parse", parse)):
            for i in range(count):
                consumer = f"{stage}-bench-{i}"
                self._spawn(consumer, ["-m", "core.bench.worker", stage, "--consumer", consumer])

    def stop(self, *roles: str) -> None:
        chosen = [r for r in (roles or list(self.processes)) if r in self.processes]
        for role in chosen:
            if self.processes[role].poll() is None:
                self.processes[role].send_signal(signal.SIGTERM)
        for role in chosen:
            process = self.processes.pop(role)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)

    def pids(self) -> dict[str, list[int]]:
        roles: dict[str, list[int]] = {"bench client": [os.getpid()]}
        for role, process in self.processes.items():
            roles.setdefault(role.split("-")[0], []).append(process.pid)
        return roles

    def check_alive(self) -> None:
        for role, process in self.processes.items():
            if process.poll() is not None:
                raise RuntimeError(
                    f"{role} exited with {process.returncode}; see its log in {self.ctx.work_dir}"
                )

    def progress(self) -> tuple[int, int, datetime | None, datetime | None]:
        """(sealed, parsed, last sealed_at, last parse time) over every merchant, read as the admin."""
        with psycopg.connect(libpq_url(self.scratch.admin_url), autocommit=True) as conn:
            seal = conn.execute("SELECT count(*), max(sealed_at) FROM app.evidence_records").fetchone()
            parse = conn.execute("SELECT count(*), max(updated_at) FROM app.ingestion_log").fetchone()
        assert seal is not None
        assert parse is not None
        return int(seal[0]), int(parse[0]), seal[1], parse[1]

    def stage_spans(self) -> dict[str, tuple[datetime, datetime, int]]:
        """Per stage, (first commit, last commit, events) over the whole run: a stage's own rate on a
        backlog is events / (last - first), which leaves out the worker's start-up."""
        with psycopg.connect(libpq_url(self.scratch.admin_url), autocommit=True) as conn:
            seal = conn.execute(
                "SELECT min(sealed_at), max(sealed_at), count(*) FROM app.evidence_records"
            ).fetchone()
            parse = conn.execute(
                "SELECT min(updated_at), max(updated_at), count(*) FROM app.ingestion_log"
            ).fetchone()
        assert seal is not None
        assert parse is not None
        return {"seal": (seal[0], seal[1], int(seal[2])), "parse": (parse[0], parse[1], int(parse[2]))}

    def pipeline_latencies(self, since: float) -> list[float]:
        """Seconds from acceptance (inbox ``received_at``) to parsed, per event accepted after ``since``
        (a ``time.time()``): how long an event waits for its canonical rows."""
        with psycopg.connect(libpq_url(self.scratch.admin_url), autocommit=True) as conn:
            rows = conn.execute(
                "SELECT extract(epoch FROM l.updated_at - i.received_at)::float8 FROM app.inbox i"
                " JOIN app.evidence_records e ON e.merchant_id = i.merchant_id AND e.inbox_id = i.id"
                " JOIN app.ingestion_log l ON l.merchant_id = e.merchant_id AND l.seq = e.seq"
                " WHERE i.received_at >= to_timestamp(%s)",
                (since,),
            ).fetchall()
        return [float(r[0]) for r in rows]

    def parse_outcomes(self) -> dict[str, int]:
        """How parsing went (parsed / ignored / failed): a benchmark of failures would be no benchmark."""
        with psycopg.connect(libpq_url(self.scratch.admin_url), autocommit=True) as conn:
            rows = conn.execute("SELECT status, count(*) FROM app.ingestion_log GROUP BY status").fetchall()
        return {str(status): int(count) for status, count in rows}

    def wait_parsed(self, total: int, *, timeout: float) -> tuple[datetime | None, datetime | None]:
        """Block until ``total`` events are parsed; returns when the last was sealed and parsed."""
        deadline = time.monotonic() + timeout
        while True:
            sealed, parsed, last_sealed, last_parsed = self.progress()
            if parsed >= total:
                return last_sealed, last_parsed
            self.check_alive()
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {parsed}/{total} parsed ({sealed} sealed) after {timeout:.0f} s")
            time.sleep(0.1)


def _env(settings: Settings, scratch: ScratchDatabase, redis_url: str, var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANARY_")}
    assert settings.master_key is not None
    assert settings.ledger_signing_key is not None
    env.update(
        {
            "CANARY_DATABASE_URL": scratch.app_url,
            "CANARY_REDIS_URL": redis_url,
            "CANARY_BUS_PREFIX": settings.bus_prefix,
            "CANARY_MASTER_KEY": settings.master_key.get_secret_value(),
            "CANARY_LEDGER_SIGNING_KEY": settings.ledger_signing_key.get_secret_value(),
            "CANARY_VAR_DIR": str(var_dir),
            "CANARY_DATABASE_POOL_SIZE": str(settings.database_pool_size),
            "CANARY_WORKER_BATCH_SIZE": str(settings.worker_batch_size),
            "CANARY_WORKER_BLOCK_MS": str(settings.worker_block_ms),
            "CANARY_WORKER_LINGER_MS": str(settings.worker_linger_ms),
            "CANARY_LOG_LEVEL": "WARNING",
        }
    )
    return env


def _delete_keys(redis_url: str, prefix: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def _new_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


@contextmanager
def pipeline_stack(ctx: BenchContext, *, tag: str, worker_batch_size: int = 200) -> Iterator[Stack]:
    with scratch_database(ctx.postgres_url) as scratch:
        var_dir = ctx.work_dir / f"var-{tag}-{uuid.uuid4().hex[:6]}"
        settings = Settings(
            database_url=SecretStr(scratch.app_url),
            redis_url=SecretStr(ctx.redis_url),
            bus_prefix=f"canary-bench-{tag}-{uuid.uuid4().hex[:8]}:",
            master_key=SecretStr(_new_key()),
            ledger_signing_key=SecretStr(_new_key()),
            var_dir=var_dir,
            worker_batch_size=worker_batch_size,
            worker_block_ms=200,
        )
        container = bootstrap(settings)
        stack = Stack(ctx, scratch, settings, _env(settings, scratch, ctx.redis_url, var_dir), container)
        try:
            yield stack
        finally:
            stack.stop()
            container.close()
            _delete_keys(ctx.redis_url, settings.bus_prefix)
