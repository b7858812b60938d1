"""``canary bench``: run the benchmark scenarios and write the report (JSON + Markdown)."""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from core.bench.harness import BUILT_IN, DEFAULT_REDIS_URL, BenchContext, UnknownScenarioError, run_scenarios
from core.bench.pg_scratch import DEFAULT_ADMIN_URL
from core.bench.report import terminal, write_json, write_markdown
from core.cli.errors import UsageError, friendly
from core.settings import Settings

RESULTS = Path("bench/results")
err = Console(stderr=True)
out = Console()


def register(app: typer.Typer) -> None:
    app.command()(bench)


def _defaults(settings: Settings) -> tuple[str, str]:
    postgres = settings.admin_database_url() if settings.is_postgres else DEFAULT_ADMIN_URL
    redis = settings.redis_url.get_secret_value() if settings.redis_url else DEFAULT_REDIS_URL
    return postgres, redis


@friendly
def bench(
    scenarios: Annotated[
        list[str] | None, typer.Argument(help=f"Scenarios to run (default all): {', '.join(BUILT_IN)}.")
    ] = None,
    quick: Annotated[
        bool, typer.Option("--quick", help="Shrink every scenario to seconds (CI checks the report's shape).")
    ] = False,
    json_path: Annotated[Path | None, typer.Option("--json", help="Where to write the JSON report.")] = None,
    markdown_path: Annotated[
        Path | None, typer.Option("--markdown", help="Where to write the Markdown report.")
    ] = None,
    postgres_url: Annotated[
        str | None,
        typer.Option(
            help="Admin URL of a Postgres server to create scratch databases on "
            "(default CANARY_DATABASE_ADMIN_URL, else the local server)."
        ),
    ] = None,
    redis_url: Annotated[
        str | None, typer.Option(help="Redis URL (default CANARY_REDIS_URL, else local db 0).")
    ] = None,
    console_cases: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Cases to seed for the console scenario, with ten detections each "
            "(default 2,000 with --quick, else 100,000).",
        ),
    ] = None,
) -> None:
    """Measure the pipeline and the ledger on this machine, with reference points from the same run.

    Each scenario uses its own scratch database and Redis key prefix, removed afterwards.
    Everything listens on 127.0.0.1 only.
    Reports go to bench/results/ unless --json or --markdown say otherwise.
    """
    default_pg, default_redis = _defaults(Settings())
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S") + ("-quick" if quick else "")
    json_path = json_path or RESULTS / f"bench-{stamp}.json"
    markdown_path = markdown_path or RESULTS / f"bench-{stamp}.md"
    work_dir = Path(tempfile.mkdtemp(prefix="canary-bench-"))
    ctx = BenchContext(
        postgres_url=postgres_url or default_pg,
        redis_url=redis_url or default_redis,
        work_dir=work_dir,
        progress=lambda message: err.print(f"[dim]{message}[/dim]"),
        console_cases=console_cases,
    )
    try:
        report = run_scenarios(scenarios or [], quick=quick, ctx=ctx)
    except UnknownScenarioError as exc:
        raise UsageError(str(exc)) from None
    write_json(report, json_path)
    write_markdown(report, markdown_path)
    out.print(terminal(report, out.width), markup=False, highlight=False, soft_wrap=True)
    err.print(f"reports: {json_path} and {markdown_path}")
    failed = [r.name for r in report.results if r.status == "failed"]
    if failed:
        err.print(f"[red]failed:[/red] {', '.join(failed)}; process logs kept in {work_dir}")
        raise typer.Exit(1)
    shutil.rmtree(work_dir, ignore_errors=True)
