"""``cases``: Fox on Postgres + Redis — alerts → cases per second with one ``fox`` worker, and
canary-fox's ``list_cases``, ``top_cases`` and ``get_case`` latency at 100,000 cases / 1,000,000
detections.

Throughput: 50,000 alerts (2,000 with ``--quick``; voids clustered by drawer session, ten per
session) are published on a scratch ``canary:alerts`` stream and one worker runner with the real
``FoxConsumer`` drains it as the application role (batches of 500): bundling, escalation and the
message keys in one transaction per batch, as ``canary worker fox`` does (target ≥ 5,000 alerts/s).
Latency: another merchant's cases and memberships are COPY-loaded (100,000 cases with ten detections
each; 2,000 / 20,000 with ``--quick``), then each call goes through ``FoxService`` as the application
role, one tenant transaction per call, which is what a tool call pays (target p95 < 50 ms).
"""

from __future__ import annotations

import json
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg

from core.bench.harness import BenchContext
from core.bench.merkle import _latency, _timed
from core.bench.pg_scratch import libpq_url, scratch_database
from core.bench.results import Measurement, ScenarioResult, Target
from core.bench.stack import _delete_keys
from core.bootstrap import bootstrap
from core.bus.port import ALERTS
from core.settings import Settings
from core.tenancy import onboard_merchant
from core.workers.runner import WorkerRunner

LIVE, LOADED = "m_bench_fox_live", "m_bench_fox_cases"
KEY = "Zm94LWNhc2VzLWJlbmNoLWtleS0zMi1ieXRlcy1sbyE="  # base64 of 32 bytes: a scratch key, not a secret
THROUGHPUT = Target("throughput", 5_000.0, "≥ 5,000 alerts/s")
P95 = Target("p95", 50.0, "p95 < 50 ms")
T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
SEVERITIES = ("low", "medium", "high", "critical")


def _alerts(n: int, start: int = 0) -> list[dict[str, str]]:
    """Alerts ``start`` to ``n - 1`` of the bench stream."""
    out = []
    for i in range(start, n):
        session = i // 10
        out.append(
            {
                "merchant_id": LIVE,
                "detection_id": f"det_{i:08d}",
                "rule_id": "Q-VR-03",
                "family": "void_return",
                "queue": "fraud",
                "severity": "low" if i % 4 else "medium",
                "occurred_at": (T0 + timedelta(minutes=session * 30 + i % 10)).isoformat(),
                "employee_id": f"sq:employee:E{session % 200}",
                "location_id": f"sq:location:L{session % 5}",
                "station_id": f"sq:device:D{session % 20}",
                "drawer_session_id": f"sess_{session}",
                "summary": f"void cluster {i}",
            }
        )
    return out


def _load(admin_url: str, cases: int, per_case: int) -> None:
    """COPY ``cases`` cases with ``per_case`` memberships each for the LOADED merchant."""
    now = datetime.now(UTC)
    with psycopg.connect(libpq_url(admin_url)) as conn, conn.cursor() as cur:
        with cur.copy(
            "COPY app.fox_cases (merchant_id, id, queue, bundle_key, basis, family, title, window_hours, "
            "employee_id, customer_id, location_id, station_id, drawer_session_id, first_at, last_at, "
            "detections, base_severity, severity, severity_rank, escalations, state, assignee, outcome, "
            "opened_at, closed_at) FROM STDIN"
        ) as copy:
            for c in range(cases):
                first = T0 + timedelta(minutes=c * 5)
                severity = SEVERITIES[c % 4]
                state = ("open", "in_progress", "resolved", "dismissed")[c % 4]
                copy.write_row(
                    (
                        LOADED,
                        f"case_{c:012d}",
                        "fraud" if c % 10 else "review",
                        f"fraud|void_return|employee_session|E{c % 500}|s{c}",
                        "employee_session",
                        "void_return",
                        f"void return: employee E{c % 500}, drawer session s{c}",
                        24,
                        f"sq:employee:E{c % 500}",
                        "",
                        f"sq:location:L{c % 5}",
                        "",
                        f"s{c}",
                        first,
                        first + timedelta(minutes=per_case),
                        per_case,
                        severity,
                        severity,
                        SEVERITIES.index(severity) + 1,
                        json.dumps([]),
                        state,
                        None,
                        "false_positive" if state in ("resolved", "dismissed") else None,
                        now - timedelta(minutes=cases - c),
                        now if state in ("resolved", "dismissed") else None,
                    )
                )
        with cur.copy(
            "COPY app.fox_alerts (merchant_id, detection_id, case_id, revision, rule_id, family, severity, "
            "queue, occurred_at, received_at, summary, employee_id, customer_id, location_id, station_id, "
            "drawer_session_id, rule_bundle_key) FROM STDIN"
        ) as copy:
            for c in range(cases):
                first = T0 + timedelta(minutes=c * 5)
                for k in range(per_case):
                    copy.write_row(
                        (
                            LOADED,
                            f"det_{c:09d}_{k:02d}",
                            f"case_{c:012d}",
                            0,
                            "Q-VR-03",
                            "void_return",
                            "low",
                            "fraud",
                            first + timedelta(minutes=k),
                            now,
                            f"void {k}",
                            f"sq:employee:E{c % 500}",
                            "",
                            f"sq:location:L{c % 5}",
                            "",
                            f"s{c}",
                            "",
                        )
                    )
        # The per-(rule, day, case) counts the fox consumer keeps beside its alerts
        # (core/cases/service/consumer.py).
        cur.execute(
            "INSERT INTO app.fox_rule_days (merchant_id, day, rule_id, case_id, alerts) "
            "SELECT merchant_id, (occurred_at AT TIME ZONE 'UTC')::date, rule_id, coalesce(case_id, ''), "
            "count(*) FROM app.fox_alerts WHERE merchant_id = %s GROUP BY 1, 2, 3, 4",
            (LOADED,),
        )
        cur.execute("ANALYZE app.fox_cases, app.fox_rule_days")
        cur.execute(  # with each closed case's outcome, as resolve and dismiss set it
            "UPDATE app.fox_rule_days d SET outcome = c.outcome FROM app.fox_cases c "
            "WHERE c.merchant_id = d.merchant_id AND c.id = d.case_id AND d.merchant_id = %s "
            "AND c.state IN ('resolved', 'dismissed') AND c.outcome IS NOT NULL",
            (LOADED,),
        )
        conn.commit()
    # VACUUM as autovacuum would soon after such a load: the visibility map lets the digest's and
    # the statistics' index-only scans skip the heap, as they do on a database in service.
    with psycopg.connect(libpq_url(admin_url), autocommit=True) as conn:
        for table in ("fox_cases", "fox_alerts", "fox_rule_days"):
            conn.execute(f"VACUUM ANALYZE app.{table}")


def run(quick: bool, ctx: BenchContext) -> ScenarioResult:
    """Fox: alerts → cases per second (one worker), list_cases / top_cases / get_case p95 at 100,000 cases."""
    alerts_n = 2_000 if quick else 50_000
    cases_n, per_case = (2_000, 10) if quick else (100_000, 10)
    samples = 20 if quick else 200
    result = ScenarioResult(
        "cases",
        config={"alerts": alerts_n, "cases": cases_n, "detections": cases_n * per_case, "samples": samples},
    )
    prefix = f"canary-bench-fox-{uuid.uuid4().hex[:8]}:"
    with scratch_database(ctx.postgres_url) as scratch:
        settings = Settings(
            database_url=scratch.app_url,  # type: ignore[arg-type]
            redis_url=ctx.redis_url,  # type: ignore[arg-type]
            bus_prefix=prefix,
            master_key=KEY,  # type: ignore[arg-type]
            ledger_signing_key=KEY,  # type: ignore[arg-type]
            var_dir=ctx.work_dir,
        )
        container = bootstrap(settings)
        try:
            for merchant in (LIVE, LOADED):
                onboard_merchant(container.db, container.keyring, merchant_id=merchant, name="Bench Garden")
            ctx.progress(f"cases: publishing {alerts_n:,} alerts")
            container.bus.ensure_group(ALERTS, "fox")
            # Built and published a thousand at a time: the worker is measured without the
            # publisher's 50,000 dicts alive beside it (every full garbage collection walked them).
            for i in range(0, alerts_n, 1_000):
                container.bus.publish_many(ALERTS, _alerts(min(i + 1_000, alerts_n), i))
            runner = WorkerRunner(
                container.bus, container.fox_stage, consumer="bench-fox", batch_size=500, block_ms=0
            )
            started = time.perf_counter()
            runner.run_until_idle()
            seconds = time.perf_counter() - started
            live = container.fox_service.list_cases(LIVE, limit=1)
            result.add(
                Measurement(
                    "alerts → cases (1 worker)",
                    "alerts",
                    runner.processed,
                    seconds,
                    target=THROUGHPUT,
                    detail=f"{alerts_n // 10:,} cases; the newest holds {live.items[0].detections} alerts",
                )
            )
            ctx.progress(f"cases: loading {cases_n:,} cases / {cases_n * per_case:,} detections")
            _load(scratch.admin_url, cases_n, per_case)
            service = container.fox_service
            cursor = service.list_cases(LOADED, state="open", min_severity="high", limit=20).next_cursor

            def case_id(rng: random.Random) -> str:
                return f"case_{rng.randrange(cases_n):012d}"

            calls = {
                "list_cases (first page)": lambda rng: service.list_cases(LOADED, limit=20),
                "list_cases (open, high+, next page)": lambda rng: service.list_cases(
                    LOADED, state="open", min_severity="high", cursor=cursor, limit=20
                ),
                "list_cases (one employee)": lambda rng: service.list_cases(
                    LOADED, employee_id=f"sq:employee:E{rng.randrange(500)}", limit=20
                ),
                "top_cases": lambda rng: service.top_cases(LOADED, limit=10),
                "get_case": lambda rng: service.get_case(LOADED, case_id(rng)),
            }
            for name, call in calls.items():
                result.add(_latency(name, _timed(samples, call, seed=7), "calls", target=P95))
        finally:
            container.close()
            _delete_keys(ctx.redis_url, prefix)
    return result
