"""The MCP servers over streamable HTTP, for the ingress app to serve at ``/mcp/<name>``.

Three things a mounted FastMCP app does not do by itself, and this module does:
- **Lifespans.** Starlette never runs a sub-application's lifespan, and FastMCP's session manager
  only exists inside it; ``lifespan(servers)`` enters every server's, for the host app to run.
- **Host protection.** ``host_origin_protection="auto"``: a server bound to loopback answers only
  loopback Host and Origin headers (DNS rebinding); behind a proxy, list the public host names in
  ``FASTMCP_HTTP_ALLOWED_HOSTS``.
- **Resource metadata.** RFC 9728 clients look for ``/.well-known/oauth-protected-resource/mcp/<name>``
  at the root of the host, not under the mount, so that route is returned for the root router.

Each server is served statelessly (every request stands alone), so any ingress replica can answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastmcp.server.http import StarletteWithLifespan
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from core.auth.principal import SCOPES
from core.bootstrap import Container
from servers.common.server import ServerSpec, build_server

PREFIX = "/mcp"
WELL_KNOWN = "/.well-known/oauth-protected-resource"


@dataclass(frozen=True)
class HttpServer:
    name: str  # "identity"
    title: str  # "canary-identity"
    path: str  # "/mcp/identity"
    app: StarletteWithLifespan

    def routes(self) -> list[BaseRoute]:
        # A Route (not a Mount) so the endpoint is exactly /mcp/<name>, without a redirect to a
        # trailing slash that some clients do not follow for POST.
        return [
            Route(self.path, endpoint=self.app),
            Route(f"{WELL_KNOWN}{self.path}", endpoint=self._resource_metadata, methods=["GET"]),
        ]

    async def _resource_metadata(self, request: Request) -> JSONResponse:
        # No authorization_servers: tokens are issued out of band (`canary token create`), not by OAuth.
        return JSONResponse(
            {
                "resource": f"{str(request.base_url).rstrip('/')}{self.path}",
                "resource_name": self.title,
                "bearer_methods_supported": ["header"],
                "scopes_supported": sorted(SCOPES),
            }
        )


def http_servers(container: Container, specs: Mapping[str, ServerSpec]) -> list[HttpServer]:
    served: list[HttpServer] = []
    for name, spec in specs.items():
        path = f"{PREFIX}/{name}"
        mcp = build_server(spec, container=container, http_auth=True)
        app = mcp.http_app(path=path, stateless_http=True, host_origin_protection="auto")
        served.append(HttpServer(name, spec.name, path, app))
    return served


def lifespan(servers: Sequence[HttpServer]) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """The host app's lifespan: every server's session manager runs while the app does."""

    @asynccontextmanager
    async def run(_app: Any) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for server in servers:
                await stack.enter_async_context(server.app.lifespan(server.app))
            yield

    return run
