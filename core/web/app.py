"""The HTTP entry point: ingress routes, operations endpoints, and (later) the MCP servers."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route

from core.bootstrap import Container
from core.web.ops import healthz, metrics
from core.web.push_ingest import push_ingest
from core.web.square_webhook import square_webhook


def create_app(container: Container) -> Starlette:
    routes = [
        Route("/webhooks/square", square_webhook, methods=["POST"]),
        Route("/ingest/{source}", push_ingest, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    app = Starlette(routes=routes)
    app.state.container = container
    return app
