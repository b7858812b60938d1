"""The HTTP entry point: ingress routes, operations endpoints, the MCP servers at /mcp/<name> and the
console at /console (core/web/console/, docs/console.md)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.responses import RedirectResponse
from starlette.routing import BaseRoute, Route

from core.bootstrap import Container
from core.web.console import console_mount
from core.web.ops import healthz, metrics
from core.web.push_ingest import push_ingest
from core.web.square_webhook import square_webhook
from servers.common.http import http_servers, lifespan
from servers.registry import available


def create_app(container: Container) -> Starlette:
    """The app's lifespan runs the MCP servers' session managers; a process that installs its own
    lifespan (``canary serve``) must enter this one inside it."""
    mcp = http_servers(container, available())
    console, pages = console_mount(container)
    routes: list[BaseRoute] = [
        Route("/webhooks/square", square_webhook, methods=["POST"]),
        Route("/ingest/{source}", push_ingest, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        *(route for server in mcp for route in server.routes()),
        Route("/console", lambda _request: RedirectResponse("/console/", status_code=307)),
        console,
    ]
    app = Starlette(routes=routes, lifespan=lifespan(mcp))
    app.state.container = container
    app.state.console = pages
    return app
