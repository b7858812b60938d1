"""What every console page shares: the Jinja2 environment, who is signed in (``Viewer``), scope
checks that mirror the MCP servers' (core/auth/principal.py), CSRF checks, and errors as pages.

Handlers are plain functions (Starlette runs them in its thread pool) that call the same core
services as the MCP tools — ``deps.chirp_service`` (canary-chirp) and ``deps.identity``
(canary-identity) — and never SQL. A service error written for the caller (``user_facing``,
docs/mcp.md) becomes a message on the page; anything else is logged and shown as a plain apology.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio.to_thread
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from core.auth.principal import SCOPES, Principal
from core.web.console.sessions import SESSION_COOKIE, Session, SessionSigner
from core.web.deps import ConsoleDeps

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
PREFIX = "/console"


@dataclass(frozen=True)
class Viewer:
    principal: Principal
    session: Session
    csrf: str

    @property
    def merchant_id(self) -> str:
        return self.principal.merchant_id

    @property
    def actor(self) -> str:
        """The audit log's actor, as the MCP servers write it (servers/chirp/args.py)."""
        return f"{self.principal.role}:{self.principal.token_id}"

    def can(self, scope: str) -> bool:
        return self.principal.allows(scope)

    @property
    def stores(self) -> frozenset[str] | None:
        """The stores this token is limited to (a GM's); None: every store of the merchant."""
        return self.principal.stores


class PageError(Exception):
    """Stop a handler and show ``message`` with ``status``."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


class SignInNeeded(Exception):
    def __init__(self, expired: bool) -> None:
        super().__init__("sign in")
        self.expired = expired


def _cents(value: Any) -> str:
    if value is None:
        return "—"
    return f"{'-' if value < 0 else ''}${abs(int(value)) / 100:,.2f}"


def _when(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


class Console:
    def __init__(self, deps: ConsoleDeps, signer: SessionSigner | None = None) -> None:
        self.deps = deps
        self.signer = signer or SessionSigner()
        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(cents=_cents, when=_when, q=lambda v: quote(str(v), safe=""))
        self.env.globals.update(prefix=PREFIX, scopes=SCOPES)

    def now(self) -> datetime:
        return self.deps.clock.now()

    # who is asking -----------------------------------------------------------------------------------
    def viewer(self, request: Request) -> Viewer:
        session, expired = self.signer.open(request.cookies.get(SESSION_COOKIE), self.now())
        if session is None:
            raise SignInNeeded(expired)
        principal = self.deps.tokens.still_valid(session.token_id)
        if principal is None:  # revoked or expired since sign-in
            raise SignInNeeded(True)
        return Viewer(principal, session, self.signer.csrf(session.nonce))

    @staticmethod
    def require(viewer: Viewer, scope: str) -> None:
        if not viewer.can(scope):
            raise PageError(
                403,
                "Not allowed",
                f"This needs the '{scope}' scope ({SCOPES[scope]}); your {viewer.principal.role} token "
                f"has {', '.join(sorted(viewer.principal.scopes))}. Ask an operator for a token that "
                f"includes it (canary token create).",
            )

    def check_csrf(self, viewer: Viewer, form: Mapping[str, Any]) -> None:
        if not self.signer.csrf_ok(viewer.session.nonce, form.get("csrf")):
            raise PageError(
                403,
                "Form expired",
                "This form was not sent from this session (or it is too old). Reload the page and try again.",
            )

    def writer(self, request: Request, form: Mapping[str, Any], scope: str) -> Viewer:
        """The viewer behind a form that changes something: signed in, the form from this session
        (CSRF), and the scope the change needs, checked in that order."""
        viewer = self.viewer(request)
        self.check_csrf(viewer, form)
        self.require(viewer, scope)
        return viewer

    # rendering ---------------------------------------------------------------------------------------
    def render(self, name: str, viewer: Viewer | None, status: int = 200, **context: Any) -> HTMLResponse:
        html = self.env.get_template(name).render(
            viewer=viewer, csrf=viewer.csrf if viewer else "", **context
        )
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

    def error(self, request: Request, exc: Exception) -> Response:
        if isinstance(exc, SignInNeeded):
            target = f"{PREFIX}/sign-in?next={quote(request.url.path, safe='/')}"
            return RedirectResponse(target + ("&expired=1" if exc.expired else ""), status_code=303)
        viewer = None
        with contextlib.suppress(SignInNeeded):
            viewer = self.viewer(request)
        if isinstance(exc, PageError):
            return self.render("error.html", viewer, exc.status, title=exc.title, message=exc.message)
        if getattr(exc, "user_facing", False):
            status = 404 if isinstance(exc, LookupError) else 400
            title = "Not found" if status == 404 else "Cannot do that"
            return self.render("error.html", viewer, status, title=title, message=str(exc))
        log.exception("console page failed", exc_info=exc)
        return self.render(
            "error.html",
            viewer,
            500,
            title="Something went wrong",
            message="The page could not be built; the error has been logged. Try again, or go back to Today.",
        )


# No inline script is used anywhere, so the policy can forbid it outright.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


Handler = Callable[["Console", Request, Mapping[str, Any]], Response]


def page(fn: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette endpoint around the sync ``fn(console, request, form)``: reads the form of a POST,
    runs ``fn`` in a worker thread (the services are synchronous), and turns every exception into a
    page."""

    @wraps(fn)
    async def endpoint(request: Request) -> Response:
        console: Console = request.app.state.console
        try:
            form: Mapping[str, Any] = await request.form() if request.method == "POST" else {}
            return await anyio.to_thread.run_sync(fn, console, request, form)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a page, never a traceback
            return await anyio.to_thread.run_sync(console.error, request, exc)

    return endpoint
