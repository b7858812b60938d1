"""Faults on Postgres + Redis with real worker processes (``_fox_worker.py``): two fox workers over
the same alerts give the same cases as one, and a worker killed with SIGKILL mid-run loses and
doubles no case membership once another takes over its pending messages."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import func, select

from core.bus.port import ALERTS
from core.bus.redis_streams import RedisStreamBus
from core.cases.service.consumer import ALERT_T, CASE_T
from core.db.tables.tenants import Merchant
from core.db.uow import Database
from tests.support.redis_service import redis_url

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]
ROOT = Path(__file__).parents[3]
T0 = datetime(2026, 5, 4, 6, 0, tzinfo=UTC)
ALERTS_N = 3_000  # 300 drawer sessions × 8 voids, plus review and informational alerts


def _alerts(merchant_id: str) -> list[dict[str, str]]:
    """Voids clustered per (employee, drawer session) within two hours, so any arrival order bundles
    them the same way; every session also has a Q-IS-02 review and a Q-IS-04 trend alert."""
    out: list[dict[str, str]] = []
    n = 0
    for session in range(300):
        employee = f"sq:employee:E{session % 40}"
        start = T0 + timedelta(days=session // 40, hours=session % 8)
        rules = [("Q-VR-03", "void_return", "fraud")] * 8 + [("Q-IS-02", "inventory_shrink", "review")] * 1
        rules += [("Q-IS-04", "inventory_shrink", "trend")]
        for i, (rule, family, queue) in enumerate(rules):
            out.append(
                {
                    "merchant_id": merchant_id,
                    "detection_id": f"det_{n:06d}",
                    "rule_id": rule,
                    "family": family,
                    "queue": queue,
                    "severity": "low" if i % 3 else "medium",
                    # voids in their session; review and trend alerts within a day (store windows: 7 days)
                    "occurred_at": (
                        start + timedelta(minutes=7 * i)
                        if queue == "fraud"
                        else T0 + timedelta(minutes=session)
                    ).isoformat(),
                    "employee_id": employee,
                    "location_id": f"sq:location:L{session % 3}",
                    "station_id": "sq:device:D1",
                    "drawer_session_id": f"sess_{session}",
                    "summary": f"{rule} {n}",
                }
            )
            n += 1
    return out[:ALERTS_N]


def _merchant(db: Database) -> str:
    merchant_id = f"m_{uuid.uuid4().hex[:12]}"
    with db.tenant(merchant_id) as s:
        s.add(Merchant(id=merchant_id, name="Greenleaf Garden Center"))
    return merchant_id


def _publish(prefix: str, alerts: list[dict[str, str]]) -> None:
    bus = RedisStreamBus.from_url(redis_url(), prefix=prefix)
    bus.ensure_group(ALERTS, "fox")
    for i in range(0, len(alerts), 500):
        bus.publish_many(ALERTS, alerts[i : i + 500])
    bus.close()


def _worker(app_url: str, prefix: str, name: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.cases._fox_worker", app_url, redis_url(), prefix, name],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _result(db: Database, merchant_id: str) -> dict[str, Any]:
    """The cases as sets of detections (case ids name the merchant, so compare what they hold)."""
    with db.tenant(merchant_id) as s:
        members = s.execute(
            select(ALERT_T.c.detection_id, ALERT_T.c.case_id).where(ALERT_T.c.merchant_id == merchant_id)
        ).all()
        cases = s.execute(
            select(CASE_T.c.id, CASE_T.c.queue, CASE_T.c.basis, CASE_T.c.severity, CASE_T.c.detections).where(
                CASE_T.c.merchant_id == merchant_id
            )
        ).all()
        total = s.execute(select(func.count()).where(ALERT_T.c.merchant_id == merchant_id)).scalar_one()
    grouped: dict[str, set[str]] = {}
    for detection, case in members:
        if case is not None:
            grouped.setdefault(case, set()).add(detection)
    shape = {c.id: (c.queue, c.basis, c.severity, c.detections) for c in cases}
    return {
        "memberships": total,
        "informational": sum(1 for _d, c in members if c is None),
        "cases": sorted((shape[case], tuple(sorted(ds))) for case, ds in grouped.items()),
    }


def _cleanup(prefix: str) -> None:
    client = redis.Redis.from_url(redis_url())
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


def _run(app_url: str, pg_app: Database, workers: int, *, kill_first: bool = False) -> dict[str, Any]:
    merchant_id = _merchant(pg_app)
    prefix = f"canary-test-fox-{uuid.uuid4().hex[:8]}:"
    try:
        _publish(prefix, _alerts(merchant_id))
        procs = [_worker(app_url, prefix, f"fox-{i}") for i in range(workers)]
        if kill_first:
            assert procs[0].stdout is not None
            for _ in range(3):  # a few batches in, mid-run
                assert procs[0].stdout.readline().startswith("batch")
            procs[0].send_signal(signal.SIGKILL)
            procs[0].communicate(timeout=30)  # reaps it and closes its pipes
            assert procs[0].returncode == -signal.SIGKILL
            procs.append(_worker(app_url, prefix, "fox-after"))
        for proc in procs[1:] if kill_first else procs:
            _out, err = proc.communicate(timeout=600)
            assert proc.returncode == 0, err[-2000:]
        return _result(pg_app, merchant_id)
    finally:
        _cleanup(prefix)


def test_two_worker_processes_give_the_same_cases_as_one(
    postgres_urls: tuple[str, str], pg_app: Database
) -> None:
    one = _run(postgres_urls[1], pg_app, 1)
    two = _run(postgres_urls[1], pg_app, 2)
    assert one["memberships"] == two["memberships"] == ALERTS_N
    assert one["informational"] == two["informational"] == 300
    assert len(one["cases"]) == 303  # a fraud case per drawer session, a review case per store (3)
    assert two["cases"] == one["cases"]


def test_a_worker_killed_mid_run_loses_and_doubles_no_membership(
    postgres_urls: tuple[str, str], pg_app: Database
) -> None:
    reference = _run(postgres_urls[1], pg_app, 1)
    killed = _run(postgres_urls[1], pg_app, 1, kill_first=True)
    assert killed == reference
