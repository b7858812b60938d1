"""The fault matrix on the production shape (Postgres + Redis Streams), with real processes.

Workers run as subprocesses (`python -m core.cli worker …`): each stage's worker (seal, parse,
customers, chirp, bubble; fox in tests/integration/cases/test_fox_faults.py) is killed with SIGKILL
mid-batch and restarted as a supervisor would; the bus is wiped (FLUSHALL of this deployment's keys)
between ingress and seal and between seal and parse with every worker left running. Postgres
restarted and its connections killed mid-commit: tests/integration/pipeline/test_postgres_faults.py.
Counted from the inbox and the evidence chain: 0 lost, 0 sealed or applied twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlmodel import col, func, select

from core.bootstrap import Container
from core.bus.port import EVENTS
from core.db.tables.customers import CustomerTransaction
from core.db.tables.ledger import EvidenceRecord, InboxEntry, IngestionLogEntry, ProcessedMessage
from core.ingest.inbox import IncomingEvent
from core.settings import Settings
from tests.support.pipeline import new_merchant, running_canary, settings_for, webhook
from tests.support.redis_service import redis_url

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]
ROOT = Path(__file__).parents[3]


@pytest.fixture
def production(postgres_urls: tuple[str, str], tmp_path: Path) -> Iterator[tuple[Container, Settings]]:
    redis_url()
    settings = settings_for(
        postgres_urls[1],
        tmp_path,
        redis=True,
        worker_claim_idle_ms=300,
        worker_batch_size=20,
        inbox_sweep_after_seconds=1,
    )
    with running_canary(settings) as (container, _client):
        yield container, settings


def _env(settings: Settings) -> dict[str, str]:
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
            "CANARY_WORKER_CLAIM_IDLE_MS": str(settings.worker_claim_idle_ms),
            "CANARY_WORKER_BATCH_SIZE": str(settings.worker_batch_size),
            "CANARY_WORKER_BLOCK_MS": "200",
            "CANARY_INBOX_SWEEP_AFTER_SECONDS": "1",
        }
    )
    return env


def _worker(settings: Settings, stage: str, consumer: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "core.cli", "worker", stage, "--consumer", consumer],
        cwd=ROOT,
        env=_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> int:
    """Stop a worker; one that has not exited after 30 s is killed (no orphan outlives the test)
    and reported as -1."""
    process.send_signal(sig)
    try:
        code = process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
        code = -1
    if process.stderr:
        process.stderr.close()
    return code


STARTUP = 300.0  # seconds for freshly started workers to get going on a loaded machine


def _wait_for(
    condition: Callable[[], bool], timeout: float = 60.0, workers: tuple[subprocess.Popen[bytes], ...] = ()
) -> None:
    """Poll until ``condition`` holds; a worker that died meanwhile fails the test with its stderr."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        for w in workers:
            if w.poll() is not None:
                stderr = w.stderr.read().decode(errors="replace") if w.stderr else ""
                raise AssertionError(f"worker exited with {w.returncode}: {stderr[-2000:]}")
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def _accept(container: Container, merchant: str, n: int) -> None:
    events = [
        IncomingEvent(
            merchant_id=merchant,
            source="SQUARE",
            source_type="WEBHOOK",
            raw=webhook("payment.created"),
            source_event_id=f"evt-{i}-{merchant}",
            event_type="payment.created",
        )
        for i in range(n)
    ]
    container.inbox.accept_many(events)


def _sealed(container: Container, merchant: str) -> int:
    with container.db.tenant(merchant) as s:
        return s.exec(select(func.count()).where(EvidenceRecord.merchant_id == merchant)).one()


def _parsed(container: Container, merchant: str) -> int:
    with container.db.tenant(merchant) as s:
        return s.exec(select(func.count()).where(IngestionLogEntry.merchant_id == merchant)).one()


def _assert_exactly_once(container: Container, merchant: str, n: int) -> None:
    with container.db.tenant(merchant) as s:
        inbox_ids = s.exec(
            select(EvidenceRecord.inbox_id).where(EvidenceRecord.merchant_id == merchant)
        ).all()
        unsealed = s.exec(
            select(func.count()).where(
                InboxEntry.merchant_id == merchant, col(InboxEntry.sealed_seq).is_(None)
            )
        ).one()
    assert len(inbox_ids) == len(set(inbox_ids)) == n
    assert unsealed == 0
    report = container.verifier.verify(merchant)
    assert report.ok, report.problems


def _kill_mid_batch(process: subprocess.Popen[bytes], progress: Callable[[], int], total: int) -> None:
    _wait_for(lambda: progress() > 0, workers=(process,))
    assert progress() < total, "the worker finished before it could be killed; raise the event count"
    _stop(process, signal.SIGKILL)


def test_a_seal_worker_killed_mid_batch_leaves_every_event_sealed_exactly_once(
    production: tuple[Container, Settings],
) -> None:
    container, settings = production
    merchant, _ = new_merchant(container)
    n = 1_500
    _accept(container, merchant, n)
    _kill_mid_batch(_worker(settings, "seal", "seal-a"), lambda: _sealed(container, merchant), n)
    restarted = _worker(settings, "seal", "seal-b")
    try:
        _wait_for(lambda: _sealed(container, merchant) >= n, workers=(restarted,))
    finally:
        assert _stop(restarted) == 0
    _assert_exactly_once(container, merchant, n)


def test_a_parse_worker_killed_mid_batch_leaves_every_event_parsed_once(
    production: tuple[Container, Settings],
) -> None:
    container, settings = production
    merchant, _ = new_merchant(container)
    n = 600
    _accept(container, merchant, n)
    sealer = _worker(settings, "seal", "seal-p")
    try:
        _wait_for(lambda: _sealed(container, merchant) >= n, workers=(sealer,))
        _kill_mid_batch(_worker(settings, "parse", "parse-a"), lambda: _parsed(container, merchant), n)
        restarted = _worker(settings, "parse", "parse-b")
        try:
            _wait_for(lambda: _parsed(container, merchant) >= n, workers=(restarted,))
        finally:
            assert _stop(restarted) == 0
    finally:
        _stop(sealer)
    with container.db.tenant(merchant) as s:
        statuses = s.exec(
            select(IngestionLogEntry.status, func.count())
            .where(IngestionLogEntry.merchant_id == merchant)
            .group_by(IngestionLogEntry.status)
        ).all()
    assert dict(statuses) == {"parsed": n}
    _assert_exactly_once(container, merchant, n)


def test_events_lost_by_redis_between_ingress_and_seal_are_swept_and_sealed_once(
    production: tuple[Container, Settings],
) -> None:
    container, settings = production
    merchant, _ = new_merchant(container)
    n = 200
    _accept(container, merchant, n)
    # The whole bus keyspace of this deployment disappears (FLUSHALL, scoped to this test's keys so
    # concurrent test runs on the same server are not disturbed).
    assert settings.redis_url is not None
    client = redis.Redis.from_url(settings.redis_url.get_secret_value())
    client.delete(*client.scan_iter(match=f"{settings.bus_prefix}*"))
    client.close()
    worker = _worker(settings, "all", "all-a")  # seal + parse + sweeper
    try:
        _wait_for(lambda: _sealed(container, merchant) >= n, workers=(worker,))
    finally:
        assert _stop(worker) == 0
    _assert_exactly_once(container, merchant, n)


def test_four_concurrent_seal_workers_over_eight_merchants_produce_no_fork(
    production: tuple[Container, Settings],
) -> None:
    container, settings = production
    merchants = [new_merchant(container)[0] for _ in range(8)]
    per_merchant = 150
    feeder = threading.Thread(target=lambda: [_accept(container, m, per_merchant) for m in merchants])
    workers = [_worker(settings, "seal", f"seal-{i}") for i in range(4)]
    feeder.start()
    try:
        feeder.join()
        _wait_for(
            lambda: all(_sealed(container, m) >= per_merchant for m in merchants),
            timeout=90,
            workers=tuple(workers),
        )
    finally:
        assert [_stop(w) for w in workers] == [0, 0, 0, 0]
    for m in merchants:
        _assert_exactly_once(container, m, per_merchant)


def test_a_poison_message_is_dead_lettered_with_its_error_and_the_worker_carries_on(
    production: tuple[Container, Settings],
) -> None:
    container, settings = production
    merchant, _ = new_merchant(container)
    n = 100
    container.bus.publish(EVENTS, {"merchant_id": merchant})  # no inbox_id: no delivery can succeed
    _accept(container, merchant, n)
    worker = _worker(settings, "seal", "seal-poison")
    try:
        _wait_for(
            lambda: _sealed(container, merchant) >= n and bool(container.bus.read_dead_letters(EVENTS)),
            workers=(worker,),
        )
        assert worker.poll() is None, "the poison message stopped the worker"
    finally:
        assert _stop(worker) == 0
    (dead,) = [d for d in container.bus.read_dead_letters(EVENTS) if d.fields.get("merchant_id") == merchant]
    assert dead.error == "KeyError: 'inbox_id'"
    assert dead.deliveries == settings.worker_max_deliveries
    _assert_exactly_once(container, merchant, n)


def _consumed_seqs(container: Container, merchant: str, consumer: str) -> set[int]:
    """The seqs a detection consumer has applied (its message keys start with ``<seq>:``)."""
    with container.db.tenant(merchant) as s:
        keys = s.exec(
            select(ProcessedMessage.message_key).where(
                ProcessedMessage.merchant_id == merchant, ProcessedMessage.consumer == consumer
            )
        ).all()
    return {int(k.split(":", 1)[0]) for k in keys}


def _wipe(settings: Settings) -> None:
    """FLUSHALL for this deployment: every key under its prefix (the server is shared with other
    test runs, which a real FLUSHALL would disturb)."""
    assert settings.redis_url is not None
    client = redis.Redis.from_url(settings.redis_url.get_secret_value())
    keys = list(client.scan_iter(match=f"{settings.bus_prefix}*"))
    assert keys, "nothing to wipe: the workers have not created their streams yet"
    client.delete(*keys)
    client.close()


@pytest.mark.timeout(900)
def test_redis_wiped_while_workers_run_heals_without_a_restart(
    production: tuple[Container, Settings],
) -> None:
    """Seal paused (SIGSTOP), events accepted, the bus wiped, seal resumed; then the same between
    seal and parse. Every worker and the sweeper keep running: nothing is restarted by hand."""
    container, settings = production
    merchant, _ = new_merchant(container)
    n = 80
    workers = {name: _worker(settings, name, f"{name}-w") for name in ("seal", "parse", "customers", "chirp")}
    workers["sweeper"] = _worker(settings, "sweeper", "sweeper-w")
    running = tuple(workers.values())
    try:
        _accept(container, merchant, 5)
        # Five processes import the app at once: on two busy cores that alone can take minutes.
        _wait_for(lambda: _parsed(container, merchant) >= 5, timeout=STARTUP, workers=running)
        workers["seal"].send_signal(signal.SIGSTOP)
        _accept_more(container, merchant, n, start=5)
        _wipe(settings)  # between ingress and seal
        workers["seal"].send_signal(signal.SIGCONT)
        _wait_for(lambda: _sealed(container, merchant) >= n + 5, timeout=90, workers=running)
        workers["parse"].send_signal(signal.SIGSTOP)
        _accept_more(container, merchant, n, start=n + 5)
        _wait_for(lambda: _sealed(container, merchant) >= 2 * n + 5, timeout=90, workers=running)
        _wipe(settings)  # between seal and parse
        workers["parse"].send_signal(signal.SIGCONT)
        total = 2 * n + 5
        _wait_for(lambda: _parsed(container, merchant) >= total, timeout=90, workers=running)
        for consumer in ("customers", "chirp"):
            _wait_for(
                lambda c=consumer: len(_consumed_seqs(container, merchant, c)) >= total,  # type: ignore[misc]
                timeout=90,
                workers=running,
            )
    finally:
        for w in running:
            w.send_signal(signal.SIGCONT)
        assert [_stop(w) for w in running] == [0] * len(running)
    assert _parsed(container, merchant) == total
    _assert_exactly_once(container, merchant, total)


def _accept_more(container: Container, merchant: str, n: int, *, start: int) -> None:
    container.inbox.accept_many(
        [
            IncomingEvent(
                merchant_id=merchant,
                source="SQUARE",
                source_type="WEBHOOK",
                raw=webhook("payment.created"),
                source_event_id=f"evt-{i}-{merchant}",
                event_type="payment.created",
            )
            for i in range(start, start + n)
        ]
    )


def _accept_for_customer(container: Container, merchant: str, n: int, customer: str) -> None:
    """``n`` distinct completed payments by one customer: the projection must count exactly ``n``."""

    def paid_by(i: int) -> Callable[[dict[str, Any]], None]:
        def mutate(body: dict[str, Any]) -> None:
            payment = body["data"]["object"]["payment"]
            payment["id"] = body["data"]["id"] = f"PAY{i}{merchant}"
            payment["customer_id"] = customer
            payment["order_id"] = f"ORD{i}{merchant}"

        return mutate

    container.inbox.accept_many(
        [
            IncomingEvent(
                merchant_id=merchant,
                source="SQUARE",
                source_type="WEBHOOK",
                raw=webhook("payment.created", mutate=paid_by(i)),
                source_event_id=f"evt-{i}-{merchant}",
                event_type="payment.created",
            )
            for i in range(n)
        ]
    )


def _customer_count(container: Container, merchant: str, customer: str) -> int:
    """The customer's transactions as the projection holds them (one row per transaction)."""
    with container.db.tenant(merchant) as s:
        return s.exec(
            select(func.count()).where(
                CustomerTransaction.merchant_id == merchant,
                col(CustomerTransaction.customer_id).like(f"%{customer}"),
            )
        ).one()


@pytest.mark.parametrize("consumer", ["customers", "chirp", "bubble"])  # every canary:detection consumer
def test_a_detection_consumer_killed_mid_batch_applies_every_event_once(
    production: tuple[Container, Settings], consumer: str
) -> None:
    container, settings = production
    merchant, _ = new_merchant(container)
    n, customer = 300, f"CUST{uuid.uuid4().hex[:8].upper()}"
    _accept_for_customer(container, merchant, n, customer)
    upstream = (
        _worker(settings, "seal", f"seal-{consumer}"),
        _worker(settings, "parse", f"parse-{consumer}"),
    )
    try:
        _wait_for(lambda: _parsed(container, merchant) >= n, workers=upstream)
        _kill_mid_batch(
            _worker(settings, consumer, f"{consumer}-a"),
            lambda: len(_consumed_seqs(container, merchant, consumer)),
            n,
        )
        restarted = _worker(settings, consumer, f"{consumer}-b")  # the supervisor's restart
        try:
            _wait_for(lambda: len(_consumed_seqs(container, merchant, consumer)) >= n, workers=(restarted,))
        finally:
            assert _stop(restarted) == 0
    finally:
        assert [_stop(w) for w in upstream] == [0, 0]
    assert _consumed_seqs(container, merchant, consumer) == set(range(1, n + 1))
    if consumer == "customers":
        assert _customer_count(container, merchant, customer) == n  # once each, none twice
    _assert_exactly_once(container, merchant, n)
