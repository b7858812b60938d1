"""Sign-in with a Canary API token, and sign-out (docs/console.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core.web.console.base import PREFIX, Console, PageError, SignInNeeded, page
from core.web.console.sessions import LOGIN_COOKIE, SESSION_COOKIE


def _safe_next(value: object) -> str:
    """Only a console path: never an absolute URL or a scheme-relative ``//host``."""
    text = value if isinstance(value, str) else ""
    return text if text.startswith(PREFIX) and not text.startswith("//") and "\\" not in text else PREFIX


def _sign_in_form(console: Console, request: Request, status: int, error: str | None) -> Response:
    cookie, nonce = console.signer.login_nonce(console.now())
    expired = request.query_params.get("expired") == "1"
    response = console.render(
        "sign_in.html",
        None,
        status,
        login_csrf=console.signer.csrf(nonce),
        next=_safe_next(request.query_params.get("next")),
        error=error,
        notice="Your session ended; sign in again to continue." if expired and not error else None,
    )
    secure = request.url.scheme == "https"
    response.set_cookie(
        LOGIN_COOKIE, cookie, max_age=1800, path=PREFIX, httponly=True, samesite="strict", secure=secure
    )
    return response


@page
def sign_in_page(console: Console, request: Request, _form: Mapping[str, Any]) -> Response:
    try:
        console.viewer(request)
        return RedirectResponse(PREFIX, status_code=303)
    except SignInNeeded:
        return _sign_in_form(console, request, 200, None)


@page
def sign_in(console: Console, request: Request, form: Mapping[str, Any]) -> Response:
    nonce = console.signer.open_login(request.cookies.get(LOGIN_COOKIE), console.now())
    if not console.signer.csrf_ok(nonce, form.get("csrf")):
        return _sign_in_form(
            console, request, 403, "The sign-in form had expired or came from elsewhere; try again."
        )
    token = form.get("token")
    principal = console.deps.tokens.verify(token) if isinstance(token, str) and token.strip() else None
    if principal is None or principal.token_id is None:
        return _sign_in_form(
            console,
            request,
            401,
            "That token was not accepted: it is unknown, revoked or expired. Tokens look like "
            "cnry_…; an operator issues one with `canary token create`.",
        )
    cookie, _session = console.signer.issue(principal.token_id, console.now())
    response = RedirectResponse(_safe_next(form.get("next")), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=int(console.signer.ttl.total_seconds()),
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    response.delete_cookie(LOGIN_COOKIE, path=PREFIX)
    return response


@page
def sign_out(console: Console, request: Request, form: Mapping[str, Any]) -> Response:
    viewer = console.viewer(request)
    if not console.signer.csrf_ok(viewer.session.nonce, form.get("csrf")):
        raise PageError(403, "Form expired", "Sign-out was not sent from this session; reload and try again.")
    console.signer.end(viewer.session, console.now())
    response = RedirectResponse(f"{PREFIX}/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=PREFIX, httponly=True, samesite="strict")
    return response
