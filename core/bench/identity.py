"""``identity``: p50/p95/p99 of each canary-identity tool at 100,000 customers and 1,000,000 transactions.

The merchant (``core.bench.identity_data``) is COPYed into a scratch Postgres database and R's
projection rebuilt from it (``core.bench.identity_load``). Each tool is then called a few hundred
times with varied arguments (``core.bench.identity_calls``) as the application role, under
row-level security: first through ``IdentityService`` on a ``Database`` of the role's URL, then,
when ``servers.identity`` exists, through the MCP server in process (``core.bench.identity_mcp``),
so the MCP layer's overhead is the difference. Reference points: a ``SELECT 1`` round trip inside
an open transaction, and an empty tenant transaction (what every service call pays before its
first query). Target: p95 < 50 ms per tool.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from core.bench.harness import BenchContext
from core.bench.identity_calls import TOOLS, Call, plan, timed
from core.bench.identity_data import END, FULL, MERCHANT, QUICK, World
from core.bench.identity_load import LoadStats, load
from core.bench.identity_mcp import McpFigures, unavailable
from core.bench.identity_mcp import measure as measure_mcp
from core.bench.pg_scratch import scratch_database
from core.bench.results import Latency, Measurement, ScenarioResult, Target
from core.clock import FixedClock
from core.customers.aggregates import CUSTOMERS
from core.customers.service import IdentityService
from core.db.engine import make_engine
from core.db.uow import Database

TARGET = Target("p95", 50.0, "p95 < 50 ms")
MIX = {
    "lookup_customer": "60 % by Canary id, 30 % by the POS's id, 10 % unknown",
    "lookup_customer_by_card": "personal cards of heavy/medium/light customers, family cards shared by "
    "2–4 customers (limit 2, next page via cursor), busiest walk-in cards, unknown cards",
    "customer_history": "limit 20; heavy (top 1 %), medium and light customers; up to 5 pages via cursor",
    "customer_metrics": "heavy, medium and light customers",
    "customer_segments": "counts + attrition alone, with one customer's segment, or a members page "
    "of a segment (up to 3 pages via cursor)",
    "customer_complaints": "the ranked list (limit 20, up to 3 pages) or one customer's reasons",
}


def _latency(name: str, seconds: list[float], unit: str, **kwargs: Any) -> Measurement:
    return Measurement(name, unit, len(seconds), sum(seconds), Latency.of_seconds(seconds), **kwargs)


def _check_isolation(db: Database, customers: int) -> None:
    """The measurement is meaningless unless the role really is bound by row-level security."""
    count = select(func.count()).select_from(CUSTOMERS)
    with db.tenant(MERCHANT) as session:
        mine = session.execute(count).scalar_one()
    with db.tenant("m_bench_someone_else") as session:
        theirs = session.execute(count).scalar_one()
    if mine != customers or theirs != 0:
        raise AssertionError(f"row-level security is not in force (own {mine}, other tenant's {theirs})")


def _measure_service(
    result: ScenarioResult, db: Database, calls: dict[str, list[Call]], samples: int
) -> None:
    service = IdentityService(db, FixedClock(END))

    def invoke(tool: str, args: dict[str, Any]) -> str | None:
        answer = getattr(service, tool)(MERCHANT, **args)
        return getattr(answer, "next_cursor", None)

    for tool in TOOLS:
        invoke(tool, dict(calls[tool][0].args))  # warm the connection and the plan cache, untimed
        seconds = timed(calls[tool], invoke, samples)
        result.add(_latency(f"service: {tool}", seconds, "calls", target=TARGET, detail=MIX[tool]))


def _measure_floor(result: ScenarioResult, db: Database, samples: int) -> None:
    with db.tenant(MERCHANT) as session:
        connection = session.connection()
        select_one = _repeat(samples, lambda: connection.exec_driver_sql("SELECT 1").scalar())
    result.add(
        _latency(
            "reference: SELECT 1 round trip",
            select_one,
            "queries",
            reference=True,
            detail="application role, inside an open transaction",
        )
    )

    def empty_tenant_transaction() -> None:
        with db.tenant(MERCHANT) as session:
            session.connection().exec_driver_sql("SELECT 1").scalar()

    floor = _repeat(samples, empty_tenant_transaction)
    result.add(
        _latency(
            "reference: tenant transaction with SELECT 1",
            floor,
            "transactions",
            reference=True,
            detail="BEGIN, set_config of the tenant, SELECT 1, COMMIT: the floor under every service call",
        )
    )


def _repeat(samples: int, call: Callable[[], object]) -> list[float]:
    out = []
    for _ in range(samples):
        began = time.perf_counter()
        call()
        out.append(time.perf_counter() - began)
    return out


def _setup_figures(result: ScenarioResult, stats: LoadStats) -> None:
    tables = ", ".join(f"{t} {n:,}" for t, n in stats.rows.items())
    result.add(
        Measurement(
            "setup: COPY canonical rows",
            "rows",
            sum(stats.rows.values()),
            stats.copy_seconds,
            detail=f"binary COPY as the admin role, five streams at once: {tables}",
        )
    )
    built = stats.rebuilt
    result.add(
        Measurement(
            "setup: rebuild R's projection",
            "transactions",
            built.transactions,
            stats.rebuild_seconds,
            detail=f"ANALYZE, then core.customers.rebuild: {built.customers:,} customers, "
            f"{built.card_uses:,} card uses, {built.cards:,} card profiles "
            f"(VACUUM ANALYZE after: {stats.vacuum_seconds:.1f} s)",
        )
    )


def run(quick: bool, ctx: BenchContext) -> ScenarioResult:
    size = QUICK if quick else FULL
    samples = 30 if quick else 300
    world = World(size)
    calls = plan(world, samples)
    config = {
        "customers": size.customers,
        "transactions": size.transactions,
        "samples_per_tool": samples,
        "history_page": 20,
    }
    result = ScenarioResult("identity", config=config)
    with scratch_database(ctx.postgres_url) as scratch:
        stats = load(scratch.admin_url, world, ctx.progress)
        _setup_figures(result, stats)
        db = Database(make_engine(scratch.app_url, pool_size=1))
        try:
            _check_isolation(db, size.customers)
            _measure_service(result, db, calls, samples)
            _measure_floor(result, db, samples)
        finally:
            db.dispose()
        ctx.progress("identity: service measured")
        why = unavailable()
        if why is None:
            _add_mcp(result, measure_mcp(scratch.app_url, ctx.work_dir, calls, samples))
        else:
            result.notes.append(f"MCP layer not measured: {why}")
    result.notes.append(
        "every call is its own tenant transaction as the application role (row-level security on); "
        f"the service clock is fixed at {END.date()}, the end of the two years of history"
    )
    result.notes.append(
        "the load ends with VACUUM ANALYZE, so customer_segments' index-only scans find every page "
        "all-visible; on a live database, pages the projection changed since autovacuum's last pass "
        "are read from the table as well"
    )
    return result


def _add_mcp(result: ScenarioResult, figures: McpFigures) -> None:
    for tool in TOOLS:
        if tool in figures.seconds:
            name = f"mcp: {tool}"
            result.add(_latency(name, figures.seconds[tool], "calls", target=TARGET, detail="same calls"))
            result.ratio(name, f"service: {tool}")
        else:
            result.notes.append(f"mcp: {tool} not measured: {figures.errors.get(tool, 'no figures')}")
    result.add(
        _latency(
            "reference: MCP tools/list round trip",
            figures.listing,
            "requests",
            reference=True,
            detail="in-memory fastmcp.Client → server and back, no tool call and no database",
        )
    )
