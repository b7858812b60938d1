"""The loss-prevention console at /console: server-rendered pages (Jinja2, no JavaScript) for
analysts, store managers and operators over the same core services and scopes as the MCP servers
(docs/console.md)."""

from __future__ import annotations

from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from core.web.console import auth, cases, dashboards, devices, pages
from core.web.console.base import HERE, PREFIX, Console
from core.web.console.sessions import SessionSigner
from core.web.deps import ConsoleDeps

__all__ = ["PREFIX", "Console", "console_mount"]


def console_mount(deps: ConsoleDeps, signer: SessionSigner | None = None) -> tuple[Mount, Console]:
    """The /console mount and the ``Console`` it serves (put it on ``app.state.console``)."""
    routes = [
        Route("/", pages.today, methods=["GET"]),
        Route("/sign-in", auth.sign_in_page, methods=["GET"]),
        Route("/sign-in", auth.sign_in, methods=["POST"]),
        Route("/sign-out", auth.sign_out, methods=["POST"]),
        Route("/detections", pages.detections, methods=["GET"]),
        Route("/detections/{detection_id}", pages.detection, methods=["GET"]),
        Route("/cases", cases.cases, methods=["GET"]),
        Route("/digest", cases.digest, methods=["GET"]),
        Route("/dashboard", dashboards.dashboard, methods=["GET"]),
        Route("/devices", devices.devices, methods=["GET"]),
        Route("/cases/{case_id}", cases.case, methods=["GET"]),
        Route("/cases/{case_id}/{action}", cases.case_action, methods=["POST"]),
        Route("/rules", pages.rules, methods=["GET"]),
        Route("/rules/{rule_id}", pages.rule, methods=["GET"]),
        Route("/rules/{rule_id}/mode", pages.rule_mode, methods=["POST"]),
        Route("/rules/{rule_id}/preview", pages.rule_preview, methods=["POST"]),
        Route("/rules/{rule_id}/tune", pages.rule_tune, methods=["POST"]),
        Route("/rules/{rule_id}/allow", pages.allow_add, methods=["POST"]),
        Route("/rules/{rule_id}/allow/{entry_id}/revoke", pages.allow_revoke, methods=["POST"]),
        Route("/packs/{pack_id}", pages.pack, methods=["GET"]),
        Route("/packs/{pack_id}/apply", pages.pack_apply, methods=["POST"]),
        Route("/customers", pages.customers, methods=["GET"]),
        Route("/customers/{customer_id:path}", pages.customer, methods=["GET"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="console-static"),
    ]
    return Mount(PREFIX, routes=routes), Console(deps, signer)
