"""The HTTP entry point: ingress routes, operations endpoints, the MCP servers at /mcp/<name> and the
console at /console (core/web/console/, docs/console.md).

This is the route groups' composition: each gets its own deps (core/web/deps.py) from the container,
and the app's lifespan runs what the process asked for around the MCP servers' session managers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol

from sqlalchemy.exc import DBAPIError, PendingRollbackError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from core.bootstrap import Container
from core.db.engine import StorageUnavailableError, is_transient
from core.ingest.group_commit import InboxClosedError
from core.web.console import console_mount
from core.web.deps import ConsoleDeps, IngressDeps, OpsDeps
from core.web.ops import healthz, metrics
from core.web.push_ingest import push_ingest
from core.web.square_webhook import square_webhook
from servers.common.http import http_servers, lifespan
from servers.registry import available


class Background(Protocol):
    """Something that runs while the app serves (``canary serve``'s inline workers)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


def create_app(
    container: Container, *, background: Sequence[Background] = (), extra_routes: Sequence[BaseRoute] = ()
) -> Starlette:
    """The app; its lifespan starts ``background`` (in order), runs the MCP servers' session
    managers, and on shutdown stops ``background`` (in reverse). Closing the container stays with
    whoever built it."""
    mcp = http_servers(container, available())
    console, pages = console_mount(container.deps(ConsoleDeps))
    routes: list[BaseRoute] = [
        Route("/webhooks/square", square_webhook, methods=["POST"]),
        Route("/ingest/{source}", push_ingest, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        *(route for server in mcp for route in server.routes()),
        Route("/console", lambda _request: RedirectResponse("/console/", status_code=307)),
        console,
        *extra_routes,  # the benchmark's floor endpoint (core/bench/server.py)
    ]
    mcp_servers = lifespan(mcp)

    @asynccontextmanager
    async def run(app: Any) -> AsyncIterator[None]:
        started: list[Background] = []
        try:
            for item in background:
                item.start()
                started.append(item)
            async with mcp_servers(app):
                yield
        finally:
            for item in reversed(started):
                item.stop()

    unavailable = (StorageUnavailableError, DBAPIError, PendingRollbackError, TimeoutError, InboxClosedError)
    app = Starlette(
        routes=routes,
        lifespan=run,
        exception_handlers=dict.fromkeys(unavailable, retry_later),
    )
    app.state.ingress = container.deps(IngressDeps)
    app.state.ops = container.deps(OpsDeps)
    app.state.console = pages
    return app


async def retry_later(_request: Request, exc: Exception) -> Response:
    """503 with ``Retry-After`` while the database is away (restarting, its connections terminated)
    or the inbox is shutting down: nothing was stored, and a vendor retries a 5xx, so the event
    arrives again once the database is back. Anything else is re-raised: a 500 with a traceback in
    the log, which the fuzz suite (tests/integration/pipeline/test_ingress_fuzz.py) keeps at zero."""
    if isinstance(exc, (TimeoutError, InboxClosedError)) or is_transient(exc):
        return JSONResponse(
            {"status": "error", "error": "storage temporarily unavailable; retry later"},
            status_code=503,
            headers={"Retry-After": "1"},
        )
    raise exc
