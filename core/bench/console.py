"""``console``: p95 server time of each console page on a seeded Postgres merchant (issue 17's
target: < 200 ms at 100,000 cases / 1,000,000 detections).

The merchant's cases and their memberships are COPY-loaded as ``cases`` does (ten detections a
case), and as many detections into ``app.detections`` (rules Q-VR-01..03, Q-DM-01..03, Q-DS-01,
Q-ME-01..02, spread over the last ten weeks, five stores, 500 employees). The size is
``BenchContext.console_cases`` (``canary bench console --console-cases N``); without it, 2,000 cases
with ``--quick`` and 100,000 otherwise. Each page is then requested through the real Starlette app
(in process, signed in with an analyst token, the application role under row-level security), so
the time is the server's: routing, session and token check, the services' queries and rendering.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
from starlette.testclient import TestClient

from core.bench.cases import LOADED, _load
from core.bench.harness import BenchContext
from core.bench.merkle import _latency, _timed
from core.bench.pg_scratch import libpq_url, scratch_database
from core.bench.results import ScenarioResult, Target
from core.bench.stack import _delete_keys
from core.bootstrap import bootstrap
from core.rules.catalog import default_catalog
from core.settings import Settings
from core.tenancy import onboard_merchant
from core.web.app import create_app

KEY = "Y29uc29sZS1iZW5jaC1zY3JhdGNoLWtleS0zMi1ieSE="  # base64 of 32 bytes: a scratch key, not a secret
P95 = Target("p95", 200.0, "p95 < 200 ms")
PER_CASE = 10
RULES = ("Q-VR-01", "Q-VR-02", "Q-VR-03", "Q-DM-01", "Q-DM-02", "Q-DM-03", "Q-DS-01", "Q-ME-01", "Q-ME-02")
SPAN = timedelta(weeks=10)


def _load_detections(admin_url: str, n: int, now: datetime) -> None:
    """COPY ``n`` detections for the LOADED merchant, the newest at ``now``."""
    catalog = default_catalog()
    families = {r: catalog.rules[r].family.value for r in RULES}
    step = SPAN / max(n, 1)
    with psycopg.connect(libpq_url(admin_url)) as conn, conn.cursor() as cur:
        with cur.copy(
            "COPY app.detections (merchant_id, id, rule_id, rule_version, catalog_version, family, "
            "severity, queue, mode, evidence_seq, event_kind, occurred_at, detected_at, employee_id, "
            "location_id, station_id, summary, params, measurements, subject, snapshot, suppressed, "
            "alert_state, revision, config_version) FROM STDIN"
        ) as copy:
            for i in range(n):
                rule = RULES[i % len(RULES)]
                at = now - step * (n - i)
                copy.write_row(
                    (
                        LOADED,
                        f"det_{i:09d}",
                        rule,
                        1,
                        catalog.latest,
                        families[rule],
                        "low" if i % 3 else "medium",
                        "fraud",
                        "alerting",
                        i + 1,
                        "transaction",
                        at,
                        at,
                        f"sq:employee:E{i % 500}",
                        f"sq:location:L{i % 5}",
                        f"sq:device:D{i % 20}",
                        f"{rule} finding {i}",
                        json.dumps({}),
                        json.dumps({"count": i % 7}),
                        json.dumps({}),
                        json.dumps({}),
                        i % 50 == 0,
                        "published",
                        0,
                        1,
                    )
                )
        conn.commit()
    with psycopg.connect(libpq_url(admin_url), autocommit=True) as conn:
        conn.execute("ANALYZE app.detections")


def run(quick: bool, ctx: BenchContext) -> ScenarioResult:
    """Console: p95 server time per page on a merchant with 100,000 cases / 1,000,000 detections."""
    cases_n = ctx.console_cases or (2_000 if quick else 100_000)
    detections_n = cases_n * PER_CASE
    samples = 10 if quick else 20
    result = ScenarioResult(
        "console", config={"cases": cases_n, "detections": detections_n, "samples": samples}
    )
    prefix = f"canary-bench-console-{uuid.uuid4().hex[:8]}:"
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
            onboard_merchant(container.db, container.keyring, merchant_id=LOADED, name="Bench Garden")
            ctx.progress(f"console: loading {cases_n:,} cases and {detections_n:,} detections")
            _load(scratch.admin_url, cases_n, PER_CASE)
            _load_detections(scratch.admin_url, detections_n, datetime.now(UTC))
            token = container.tokens.create(LOADED, "analyst").token
            with TestClient(create_app(container), follow_redirects=False) as client:
                form = client.get("/console/sign-in").text
                csrf = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
                signed = client.post(
                    "/console/sign-in", data={"csrf": csrf, "token": token, "next": "/console/"}
                )
                if signed.status_code != 303:
                    raise RuntimeError(f"signing in to the console failed: {signed.status_code}")
                newest = f"det_{detections_n - 1:09d}"

                def case_path(rng: random.Random) -> str:
                    return f"/console/cases/case_{rng.randrange(cases_n):012d}"

                pages = {
                    "Today": lambda rng: "/console/",
                    "Dashboard by store (8 weeks)": lambda rng: "/console/dashboard",
                    "Dashboard by employee (26 weeks)": lambda rng: "/console/dashboard?by=employee&weeks=26",
                    "Detections (first page)": lambda rng: "/console/detections",
                    "Detections (one store, one rule)": lambda rng: (
                        f"/console/detections?store=sq:location:L{rng.randrange(5)}&rule={rng.choice(RULES)}"
                    ),
                    "Detection": lambda rng: f"/console/detections/{newest}",
                    "Cases (open)": lambda rng: "/console/cases?state=open",
                    "Case": case_path,
                    "Weekly digest": lambda rng: "/console/digest",
                    "Rules": lambda rng: "/console/rules",
                }
                for name, path_of in pages.items():
                    ctx.progress(f"console: {name}")

                    def call(rng: random.Random, path_of=path_of, name=name) -> None:
                        response = client.get(path_of(rng))
                        if response.status_code != 200:
                            raise RuntimeError(f"{name}: HTTP {response.status_code}")

                    call(random.Random(0))  # warm: first render compiles the templates
                    result.add(_latency(name, _timed(samples, call, seed=7), "pages", target=P95))
        finally:
            container.close()
            _delete_keys(ctx.redis_url, prefix)
    return result
