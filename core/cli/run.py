"""``canary serve`` and ``canary worker``: the long-running processes."""

from __future__ import annotations

import signal
import threading

import typer
from rich.console import Console
from starlette.applications import Starlette

from core.cli.context import load
from core.cli.errors import UsageError, friendly
from core.pipeline.workers import STAGE_NAMES, InlineWorkers, runner, sweep_forever

out = Console(stderr=True)


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(worker)


@friendly
def serve(
    host: str | None = typer.Option(None, help="Bind address (default CANARY_HTTP_HOST)."),
    port: int | None = typer.Option(None, help="Port (default CANARY_HTTP_PORT)."),
    inline_workers: bool | None = typer.Option(
        None,
        "--inline-workers/--no-inline-workers",
        help="Run the stages in this process (default: on in embedded mode, whose bus is in-process).",
    ),
) -> None:
    """Serve the HTTP API (/webhooks/square, /ingest/{source}, /mcp/<server>, /healthz, /metrics) and
    the console at /console/ (sign in with a token from `canary token create`)."""
    import uvicorn

    from core.web.app import create_app

    container = load(ingress=True)  # the ingress's inbox shares commits (CANARY_INGRESS_GROUP_COMMIT_MS)
    settings = container.settings
    inline = settings.is_embedded if inline_workers is None else inline_workers
    workers = [InlineWorkers(container.pipeline)] if inline else []
    app = create_app(container, background=workers)
    bind_host, bind_port = host or container.settings.http_host, port or container.settings.http_port
    for line in banner(app, bind_host, bind_port, inline=inline, embedded=settings.is_embedded):
        out.print(line, highlight=False, soft_wrap=True)
    try:
        uvicorn.run(app, host=bind_host, port=bind_port, log_level="warning")
    finally:
        container.close()  # after the app's lifespan has stopped the workers


def banner(app: Starlette, host: str, port: int, *, inline: bool, embedded: bool) -> list[str]:
    """What ``canary serve`` says before it listens (each line within 80 columns for a local
    address): where, what is served there (the MCP servers as mounted, so one still being built is
    not claimed) and where the pipeline stages run."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - a comparison
    base = f"http://{shown}:{port}"
    mcp = [
        route.path.removeprefix("/mcp/")
        for route in app.routes
        if getattr(route, "path", "").startswith("/mcp/")
    ]
    where = " (all interfaces)" if shown != host else ""
    stages = (
        "The pipeline stages run in this process."
        if inline
        else "The pipeline stages run in `canary worker` processes, not here."
    )
    return [
        f"Listening on {base}{where}; SQLite, in-process bus" if embedded else f"Listening on {base}{where}",
        f"  webhooks  {base}/webhooks/square",
        f"  pushes    {base}/ingest/<source>",
        f"  MCP       {base}/mcp/<name>, for <name> in:",
        f"            {', '.join(dict.fromkeys(mcp)) or 'none'}",
        f"  health    {base}/healthz, /metrics",
        f"  console   {base}/console/ (sign in with a token from",
        "            `canary token create --merchant <id> --role analyst`)",
        f"{stages} Ctrl-C stops.",
    ]


@friendly
def worker(
    stage: str = typer.Argument(..., help=f"One of: {', '.join(STAGE_NAMES)}, sweeper, all."),
    consumer: str | None = typer.Option(None, help="Consumer name in the group (default: host and pid)."),
) -> None:
    """Run a pipeline stage over its stream until SIGTERM (finishes the batch, acknowledges, exits)."""
    container = load()
    if stage not in (*STAGE_NAMES, "sweeper", "all"):
        raise UsageError(f"unknown stage {stage!r}: choose from {', '.join(STAGE_NAMES)}, sweeper, all")
    stop = threading.Event()
    runners = [
        runner(container.pipeline, n, consumer=consumer)
        for n in (STAGE_NAMES if stage == "all" else (stage,))
        if n != "sweeper"
    ]

    def shutdown(_signum: int, _frame: object) -> None:
        stop.set()
        for r in runners:
            r.stop()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    threads = [threading.Thread(target=r.run_forever, name=r.stage.name) for r in runners]
    if stage in ("sweeper", "all"):
        threads.append(
            threading.Thread(target=sweep_forever, args=(container.pipeline, stop), name="sweeper")
        )
    out.print(
        f"canary worker {stage}: running ({'Redis' if container.settings.redis_url else 'in-process'} bus)"
    )
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    container.close()
