"""What a tool call runs with: the server's deps, the caller, and the server's mode.

A server's deps are the small frozen dataclass its ``ServerSpec`` names (``servers/<name>/deps.py``),
filled by the composition root; no tool sees the container.

The tenant never comes from a tool argument. Over HTTP it comes from the bearer token; over stdio
from ``CANARY_MERCHANT_ID`` (whoever runs a stdio server already holds the database credentials); an
in-process server (tests, agents) can be built with a fixed principal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from fastmcp import Context
from fastmcp.exceptions import ToolError
from fastmcp.server.dependencies import get_access_token

from core.auth.principal import Principal, local_principal

READ = "read"
D = TypeVar("D")


@dataclass(frozen=True)
class NoDeps:
    """The deps of a server whose tools use no core service."""


@dataclass(frozen=True)
class Runtime:
    deps: object  # the server's deps (ServerSpec.deps); read it through deps_of
    read_only: bool = False
    principal: Principal | None = None  # fixed caller of an in-process server
    stdio_merchant_id: str | None = None
    stdio_actor: str | None = None  # CANARY_ACTOR: the person a stdio server's writes are logged for

    def deps_of(self, kind: type[D]) -> D:
        if not isinstance(self.deps, kind):
            raise TypeError(f"this server runs with {type(self.deps).__name__}, not {kind.__name__}")
        return self.deps


def runtime(ctx: Context) -> Runtime:
    value = ctx.lifespan_context
    found = value.get("runtime") if isinstance(value, dict) else None
    if not isinstance(found, Runtime):
        raise ToolError("the server is not started (its lifespan has not run)")
    return found


def caller(ctx: Context) -> Principal:
    """The principal this call acts for; refuses a call that names no merchant."""
    token = get_access_token()
    if token is not None:
        merchant = token.claims.get("merchant_id")
        if not isinstance(merchant, str):
            raise ToolError("this token names no merchant")
        return Principal(
            merchant_id=merchant,
            role=str(token.claims.get("role", "")),
            scopes=frozenset(token.scopes),
            transport="http",
            token_id=token.client_id,
        )
    rt = runtime(ctx)
    if rt.principal is not None:
        return rt.principal
    if rt.stdio_merchant_id:
        local = local_principal(rt.stdio_merchant_id)
        if rt.stdio_actor:  # audit actor "ops:stdio:<person>" rather than "ops:stdio"
            return Principal(local.merchant_id, local.role, local.scopes, "stdio", f"stdio:{rt.stdio_actor}")
        return local
    raise ToolError("no merchant: set CANARY_MERCHANT_ID for a stdio server, or call over HTTP with a token")


def require(ctx: Context, scope: str = READ) -> tuple[Runtime, Principal]:
    """Check the caller may use a tool that needs ``scope``; returns the runtime and the caller.

    Read-only mode wins over every token: a write tool refuses even an operator's.
    """
    rt, who = runtime(ctx), caller(ctx)
    if scope != READ and rt.read_only:
        raise ToolError("this server runs read-only (--read-only): write tools are disabled")
    if not who.allows(scope):
        have = ", ".join(sorted(who.scopes)) or "none"
        raise ToolError(
            f"this tool needs the '{scope}' scope; this {who.role or 'caller'}'s token has: {have}"
        )
    return rt, who
