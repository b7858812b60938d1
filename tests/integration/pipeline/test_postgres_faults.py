"""The fault matrix's Postgres row, with real processes: the database fails under a webhook flood.

A private Postgres cluster (initdb + pg_ctl in a temporary directory, on a free port) is migrated as
the suite migrates its databases, so restarting it disturbs no other test run on the shared server.
``canary serve`` (the ingress) and the seal, parse, customers, chirp and sweeper workers run as
processes against it and Redis while a flood of signed Square webhooks is in flight, retried on a
5xx as Square retries. Then (a) the application role's connections are terminated
(``pg_terminate_backend``) over and over, which lands in the middle of commits; (b) the cluster is
stopped ``-m immediate`` and started again after a second and a half. Nothing is restarted by hand:
every process must still be running at the end. Counted from the inbox and the evidence chain:
every event answered 2xx is in the inbox once, sealed once, parsed once and applied once by each
detection consumer; while the database is away the ingress answers 503 (retryable), never a 500,
and no first delivery is answered "duplicate".
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlmodel import func, select

from core.bootstrap import Container, bootstrap
from core.db.engine import is_transient
from core.db.migrate import upgrade
from core.db.tables.ledger import EvidenceRecord, InboxEntry, IngestionLogEntry, ProcessedMessage
from core.settings import Settings
from tests.support import postgres_service as pg
from tests.support.pipeline import new_merchant, settings_for, signed, webhook
from tests.support.redis_service import redis_url

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]
ROOT = Path(__file__).parents[3]
EVENTS = 240  # per fault: enough that the fault lands while the flood is in flight
SENDERS = 6
CONSUMERS = ("customers", "chirp")


def _bindir() -> Path | None:
    """Where initdb and pg_ctl live: ``pg_config --bindir``, else the newest Debian cluster's."""
    candidates: list[Path] = []
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False)
        candidates.append(Path(out.stdout.strip()))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    return next((d for d in candidates if (d / "initdb").exists() and (d / "pg_ctl").exists()), None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateCluster:
    """A throw-away Postgres cluster owned by this test. Postgres refuses to run as root, so as root
    the cluster runs as the ``postgres`` account (``runuser``)."""

    def __init__(self, bindir: Path, root: Path, port: int) -> None:
        self.bindir, self.root, self.port = bindir, root, port
        self.data = root / "data"
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.admin_url = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as, *args], check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres",
            "--auth=trust", "-E", "UTF8", "--no-sync",
        )  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root} "
            "-c fsync=off -c max_connections=100"  # fsync: only the OS crashing could lose data
        )
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"),
            "-w", "-t", "30", "-o", options, "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-w", "-m", mode, "stop")


@pytest.fixture(scope="module")
def cluster() -> Iterator[PrivateCluster]:
    bindir = _bindir()
    if bindir is None:
        pytest.skip("no initdb/pg_ctl on this machine (pg_config --bindir, /usr/lib/postgresql/*/bin)")
    if os.geteuid() == 0 and not shutil.which("runuser"):
        pytest.skip("running as root without runuser: Postgres cannot be started as root")
    root = Path(tempfile.mkdtemp(prefix="canary-pg-fault-"))
    if os.geteuid() == 0:
        shutil.chown(root, user="postgres")
    instance = PrivateCluster(bindir, root, _free_port())
    try:
        instance.init()
        instance.start()
        upgrade(instance.admin_url, app_role=pg.APP_ROLE, app_password=pg.APP_PASSWORD)
        yield instance
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            instance.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


def _env(settings: Settings, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANARY_")}
    assert settings.redis_url is not None
    assert settings.master_key is not None
    assert settings.ledger_signing_key is not None
    env.update(
        {
            "CANARY_DATABASE_URL": settings.database_url.get_secret_value(),
            "CANARY_REDIS_URL": settings.redis_url.get_secret_value(),
            "CANARY_BUS_PREFIX": settings.bus_prefix,
            "CANARY_MASTER_KEY": settings.master_key.get_secret_value(),
            "CANARY_LEDGER_SIGNING_KEY": settings.ledger_signing_key.get_secret_value(),
            "CANARY_WORKER_CLAIM_IDLE_MS": "1000",
            "CANARY_WORKER_BATCH_SIZE": "20",
            "CANARY_WORKER_BLOCK_MS": "200",
            "CANARY_INBOX_SWEEP_AFTER_SECONDS": "1",
            "CANARY_HTTP_HOST": "127.0.0.1",
            "CANARY_HTTP_PORT": str(port),
            "CANARY_LOG_LEVEL": "WARNING",
        }
    )
    return env


@dataclass
class Deployment:
    container: Container
    base: str
    merchant: str = ""
    url: str = ""
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)

    def check_alive(self) -> None:
        """Every process still runs: none died, so none was (or had to be) restarted."""
        for name, p in self.processes.items():
            if p.poll() is not None:
                raise AssertionError(f"{name} exited with {p.returncode}: {self.log_tail(name)}")

    def log_tail(self, name: str) -> str:
        return self.logs[name].read_text(errors="replace")[-3000:]


@pytest.fixture(scope="module")
def running(cluster: PrivateCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """The ingress and one worker process running every stage and the sweeper (``canary worker
    all``): started once for the module, as each start costs seconds of imports."""
    redis_url()
    settings = settings_for(pg.app_url(cluster.admin_url), tmp_path_factory.mktemp("pg-fault"), redis=True)
    container = bootstrap(settings)
    port = _free_port()
    env = _env(settings, port)
    d = Deployment(container, f"http://127.0.0.1:{port}")

    def spawn(name: str, *args: str) -> None:
        d.logs[name] = settings.var_dir / f"{name}.log"  # a file: a full pipe would block the process
        with d.logs[name].open("wb") as log:
            d.processes[name] = subprocess.Popen(
                [sys.executable, "-m", "core.cli", *args],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )

    try:
        spawn("ingress", "serve", "--no-inline-workers")
        spawn("workers", "worker", "all", "--consumer", "pgfault")
        _wait(lambda: _healthy(d.base), timeout=60, d=d)
        yield d
    finally:
        for p in d.processes.values():
            p.terminate()
        for p in d.processes.values():
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)
        _delete_keys(settings)
        container.close()


@pytest.fixture
def deployment(running: Deployment) -> Deployment:
    """The running deployment with a merchant of this test's own."""
    running.merchant, running.url = new_merchant(running.container)
    return running


def _delete_keys(settings: Settings) -> None:
    import redis

    assert settings.redis_url is not None
    client = redis.Redis.from_url(settings.redis_url.get_secret_value())
    keys = list(client.scan_iter(match=f"{settings.bus_prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _wait(condition: Callable[[], bool], *, timeout: float, d: Deployment) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        d.check_alive()
        try:
            if condition():
                return
        except Exception as exc:
            if not is_transient(exc):  # the test's own look-ups may meet the database away
                raise
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


@dataclass
class Flood:
    """Each event is delivered until it gets a 2xx, as Square retries a 5xx. ``answers`` keeps every
    answer per event in order."""

    answers: dict[str, list[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, event_id: str, answer: str) -> None:
        with self.lock:
            self.answers.setdefault(event_id, []).append(answer)

    def accepted(self) -> int:
        with self.lock:
            return sum(1 for a in self.answers.values() if a and a[-1].startswith("2"))

    def statuses(self) -> Counter[str]:
        with self.lock:
            return Counter(a.split(" ", 1)[0] for answers in self.answers.values() for a in answers)


def _deliver(d: Deployment, flood: Flood, event_id: str, client: httpx.Client, deadline: float) -> None:
    body = webhook("payment.created", event_id=event_id)
    path = d.url.removeprefix("https://canary.example.com")
    while time.monotonic() < deadline:
        try:
            r = client.post(f"{d.base}{path}", content=body, headers=signed(body, d.url), timeout=30)
        except httpx.HTTPError as exc:
            flood.record(event_id, f"conn {type(exc).__name__}")
            time.sleep(0.2)
            continue
        status = (
            r.json().get("status", "")
            if r.headers.get("content-type", "").startswith("application/json")
            else ""
        )
        flood.record(event_id, f"{r.status_code} {status}")
        if r.status_code < 300:
            return
        time.sleep(0.2)


def _flood(d: Deployment, prefix: str, fault: Callable[[], None]) -> Flood:
    """Send ``EVENTS`` webhooks from ``SENDERS`` threads; run ``fault`` once a quarter are in."""
    flood = Flood()
    deadline = time.monotonic() + 45
    ids = [f"{prefix}-{i:04d}" for i in range(EVENTS)]
    with httpx.Client() as client, ThreadPoolExecutor(SENDERS) as pool:
        sent = [pool.submit(_deliver, d, flood, event_id, client, deadline) for event_id in ids]
        _wait(lambda: flood.accepted() >= EVENTS // 4, timeout=30, d=d)
        assert flood.accepted() < EVENTS * 3 // 4, "the flood was nearly over before the fault"
        fault()
        for future in sent:
            future.result()
    return flood


def _counts(d: Deployment) -> dict[str, object]:
    m = d.merchant
    with d.container.db.tenant(m) as s:
        inbox = s.exec(select(InboxEntry.source_event_id).where(InboxEntry.merchant_id == m)).all()
        sealed = s.exec(select(EvidenceRecord.inbox_id).where(EvidenceRecord.merchant_id == m)).all()
        parsed = s.exec(
            select(IngestionLogEntry.status, func.count())
            .where(IngestionLogEntry.merchant_id == m)
            .group_by(IngestionLogEntry.status)
        ).all()
        applied = {
            c: s.exec(
                select(ProcessedMessage.message_key).where(
                    ProcessedMessage.merchant_id == m, ProcessedMessage.consumer == c
                )
            ).all()
            for c in CONSUMERS
        }
    return {"inbox": inbox, "sealed": sealed, "parsed": dict(parsed), "applied": applied}


def _all_done(d: Deployment, n: int) -> bool:
    c = _counts(d)
    applied: dict[str, list[str]] = c["applied"]  # type: ignore[assignment]
    return (
        len(c["sealed"]) >= n  # type: ignore[arg-type]
        and sum(c["parsed"].values()) >= n  # type: ignore[attr-defined]
        and all(len({k.split(":", 1)[0] for k in keys}) >= n for keys in applied.values())
    )


def _assert_exactly_once(d: Deployment, flood: Flood, n: int) -> None:
    _wait(lambda: _all_done(d, n), timeout=40, d=d)
    d.check_alive()
    answered = {e for e, a in flood.answers.items() if a and a[-1].startswith("2")}
    assert len(answered) == n, f"{n - len(answered)} events never got a 2xx: {flood.statuses()}"
    statuses = flood.statuses()
    assert not [s for s in statuses if s.startswith("5") and s != "503"], statuses  # retryable only
    first_duplicates = [e for e, a in flood.answers.items() if a[0] == "200 duplicate"]
    assert first_duplicates == [], "a first delivery was answered duplicate"
    c = _counts(d)
    inbox: list[str] = c["inbox"]  # type: ignore[assignment]
    sealed: list[str] = c["sealed"]  # type: ignore[assignment]
    assert sorted(inbox) == sorted(answered), "lost or doubled in the inbox"
    assert len(sealed) == len(set(sealed)) == n, "lost or sealed twice"
    assert c["parsed"] == {"parsed": n}
    for consumer, keys in c["applied"].items():  # type: ignore[attr-defined]
        seqs = [int(k.split(":", 1)[0]) for k in keys]
        assert sorted(set(seqs)) == list(range(1, n + 1)), f"{consumer} lost events"
    report = d.container.verifier.verify(d.merchant)
    assert report.ok, report.problems


def _terminate_app_connections(cluster: PrivateCluster, rounds: int = 8) -> int:
    """Kill every connection of the application role, ``rounds`` times 150 ms apart."""
    killed = 0
    with psycopg.connect(cluster.admin_url, autocommit=True) as conn:
        for _ in range(rounds):
            killed += sum(
                1
                for (ok,) in conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                    (pg.APP_ROLE,),
                )
                if ok
            )
            time.sleep(0.15)
    return killed


def test_app_connections_killed_mid_commit_lose_and_double_nothing(
    cluster: PrivateCluster, deployment: Deployment
) -> None:
    killed: list[int] = []
    flood = _flood(deployment, "kill", lambda: killed.append(_terminate_app_connections(cluster)))
    assert killed[0] > 0
    _assert_exactly_once(deployment, flood, EVENTS)


def test_postgres_restarted_mid_flood_loses_and_doubles_nothing(
    cluster: PrivateCluster, deployment: Deployment
) -> None:
    def restart() -> None:
        cluster.stop("immediate")  # a crash: no shutdown checkpoint, recovery from the WAL
        time.sleep(1.5)
        cluster.start()

    flood = _flood(deployment, "restart", restart)
    statuses = flood.statuses()
    assert statuses["503"] > 0, f"the outage was not seen by the ingress: {statuses}"
    _assert_exactly_once(deployment, flood, EVENTS)
