"""The HTTP entry point: ingress routes, operations endpoints, and the MCP servers at /mcp/<name>."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Route

from core.bootstrap import Container
from core.web.ops import healthz, metrics
from core.web.push_ingest import push_ingest
from core.web.square_webhook import square_webhook
from servers.common.http import http_servers, lifespan
from servers.registry import available


def create_app(container: Container) -> Starlette:
    """The app's lifespan runs the MCP servers' session managers; a process that installs its own
    lifespan (``canary serve``) must enter this one inside it."""
    mcp = http_servers(container, available())
    routes: list[BaseRoute] = [
        Route("/webhooks/square", square_webhook, methods=["POST"]),
        Route("/ingest/{source}", push_ingest, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        *(route for server in mcp for route in server.routes()),
    ]
    app = Starlette(routes=routes, lifespan=lifespan(mcp))
    app.state.container = container
    return app
