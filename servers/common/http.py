"""The MCP servers over streamable HTTP, for the ingress app to serve at ``/mcp/<name>``.

Four things a mounted FastMCP app does not do by itself, and this module does:
- **Lifespans.** Starlette never runs a sub-application's lifespan, and FastMCP's session manager
  only exists inside it; ``lifespan(servers)`` enters every server's, for the host app to run.
- **Host protection.** ``host_origin_protection="auto"``: a server bound to loopback answers only
  loopback Host and Origin headers (DNS rebinding); behind a proxy, list the public host names in
  ``FASTMCP_HTTP_ALLOWED_HOSTS``.
- **Resource metadata.** RFC 9728 clients look for ``/.well-known/oauth-protected-resource/mcp/<name>``
  at the root of the host, not under the mount, so that route is returned for the root router. The
  ``resource`` it names comes from ``CANARY_PUBLIC_BASE_URL`` (default ``http://<host>:<port>`` of
  ``canary serve``), never from the request's Host header, which the caller chooses.

- **Plain 401s.** FastMCP tells a client with a bad token to "re-register and obtain new tokens"
  (OAuth); Canary's tokens come from ``canary token create``, so ``ExplainAuthErrors`` says that, in
  the JSON body and in ``WWW-Authenticate: Bearer error="invalid_token", error_description=…``.

Each server is served statelessly (every request stands alone), so any ingress replica can answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastmcp.server.http import StarletteWithLifespan
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.auth.principal import SCOPES
from core.bootstrap import Container
from core.settings import Settings
from servers.common.server import ServerSpec, build_server

PREFIX = "/mcp"
WELL_KNOWN = "/.well-known/oauth-protected-resource"


@dataclass(frozen=True)
class HttpServer:
    name: str  # "identity"
    title: str  # "canary-identity"
    path: str  # "/mcp/identity"
    app: StarletteWithLifespan
    base_url: str  # "https://canary.example.com": where clients reach this deployment

    def routes(self) -> list[BaseRoute]:
        # A Route (not a Mount) so the endpoint is exactly /mcp/<name>, without a redirect to a
        # trailing slash that some clients do not follow for POST.
        return [
            Route(self.path, endpoint=ExplainAuthErrors(MaskProtocolErrors(self.app))),
            Route(f"{WELL_KNOWN}{self.path}", endpoint=self._resource_metadata, methods=["GET"]),
        ]

    async def _resource_metadata(self, request: Request) -> JSONResponse:
        # No authorization_servers: tokens are issued out of band (`canary token create`), not by OAuth.
        return JSONResponse(
            {
                "resource": f"{self.base_url}{self.path}",
                "resource_name": self.title,
                "bearer_methods_supported": ["header"],
                "scopes_supported": sorted(SCOPES),
            }
        )


class MaskProtocolErrors:
    """The MCP transport answers a message that is not JSON-RPC with a 400 whose message is
    pydantic's report (model names, ``input_value`` echoes, errors.pydantic.dev links). This ASGI
    wrapper replaces such a message by a plain one; every other response passes through untouched."""

    PLAIN = "Invalid request: not a valid JSON-RPC 2.0 message"

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 400:
                held["start"] = message
                return
            if "start" not in held or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = self._masked(b"".join(chunks))
            headers = [(k, v) for k, v in held["start"]["headers"] if k.lower() != b"content-length"]
            await send({**held["start"], "headers": [*headers, (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, capture)

    @classmethod
    def _masked(cls, body: bytes) -> bytes:
        try:
            answer = json.loads(body)
        except ValueError:
            return body
        error = answer.get("error") if isinstance(answer, dict) else None
        if isinstance(error, dict) and str(error.get("message", "")).startswith("Validation error"):
            error["message"] = cls.PLAIN
            error.pop("data", None)
            return json.dumps(answer).encode()
        return body


class ExplainAuthErrors:
    """Rewrites the 401 a request without a valid bearer token gets, so it says what to do: a token
    that does not verify gets ``error="invalid_token"`` with a description, in the header and the
    body; a request with no bearer token keeps a challenge without an error attribute (RFC 6750 §3.1)
    and gets a body saying how to authenticate. The challenge's ``scope`` and ``resource_metadata``
    parameters are kept. Every other response passes through untouched."""

    INVALID = (
        "the bearer token is not valid: unknown, revoked or expired. Canary tokens are issued "
        "out of band with canary token create (there is no OAuth flow); check the token, or issue a new one"
    )
    MISSING = (
        "this endpoint needs an Authorization: Bearer <token> header (issue one with canary token create)"
    )
    KEPT = re.compile(r'(?:scope|resource_metadata)="[^"]*"')

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        bearer = any(
            name.lower() == b"authorization" and value[:7].lower() == b"bearer "
            for name, value in scope.get("headers", [])
        )
        rewriting = False

        async def explain(message: Message) -> None:
            nonlocal rewriting
            if message["type"] == "http.response.start" and message["status"] == 401:
                rewriting = True
                await send(self._start(message, bearer))
                return
            if rewriting and message["type"] == "http.response.body":
                if not message.get("more_body"):
                    await send({"type": "http.response.body", "body": self._body(bearer)})
                return
            await send(message)

        await self.app(scope, receive, explain)

    def _body(self, bearer: bool) -> bytes:
        if bearer:
            return json.dumps({"error": "invalid_token", "error_description": self.INVALID}).encode()
        return json.dumps({"error": "unauthorized", "error_description": self.MISSING}).encode()

    def _start(self, message: Message, bearer: bool) -> Message:
        original = b""
        headers = []
        for name, value in message["headers"]:
            if name.lower() == b"www-authenticate":
                original = value
            elif name.lower() not in (b"content-length", b"content-type"):
                headers.append((name, value))
        kept = self.KEPT.findall(original.decode("latin-1"))
        parts = (['error="invalid_token"', f'error_description="{self.INVALID}"'] if bearer else []) + kept
        challenge = "Bearer " + ", ".join(parts) if parts else "Bearer"
        body = self._body(bearer)
        return {
            **message,
            "headers": [
                *headers,
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"www-authenticate", challenge.encode()),
            ],
        }


def http_servers(container: Container, specs: Mapping[str, ServerSpec]) -> list[HttpServer]:
    served: list[HttpServer] = []
    base_url = public_base_url(container.settings)
    for name, spec in specs.items():
        path = f"{PREFIX}/{name}"
        mcp = build_server(spec, container=container, http_auth=True)
        app = mcp.http_app(path=path, stateless_http=True, host_origin_protection="auto")
        served.append(HttpServer(name, spec.name, path, app, base_url))
    return served


def public_base_url(settings: Settings) -> str:
    configured = settings.public_base_url
    return (configured or f"http://{settings.http_host}:{settings.http_port}").rstrip("/")


def lifespan(servers: Sequence[HttpServer]) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """The host app's lifespan: every server's session manager runs while the app does."""

    @asynccontextmanager
    async def run(_app: Any) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for server in servers:
                await stack.enter_async_context(server.app.lifespan(server.app))
            yield

    return run
