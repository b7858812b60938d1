"""Building a Canary MCP server: one function, the same for all five.

``build_server(spec, …)`` returns a FastMCP server whose lifespan builds (or borrows) the container
and hands the tools only the server's deps (``spec.deps``); nothing connects at import. Tools are
registered by the server package's ``register(mcp)``. Domain errors (``LookupError``/``ValueError``
subclasses raised by core services) reach the model as ``ToolError`` messages; anything else is
masked, so no traceback or internal detail leaks.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastmcp import FastMCP
from fastmcp.exceptions import ToolError
from fastmcp.exceptions import ValidationError as ArgumentsError
from fastmcp.server.middleware import Middleware, MiddlewareContext
from pydantic import ValidationError

from core.auth.principal import Principal
from core.bootstrap import ConfigurationError, Container, bootstrap
from core.bus.port import BusError
from core.db.engine import StorageUnavailableError, check_connection
from core.paging import PagingError
from core.settings import Settings
from core.tenancy import UnknownMerchantError, require_merchant
from servers.common.auth import CanaryTokenVerifier
from servers.common.prompts import register_prompts
from servers.common.runtime import NoDeps, Runtime

log = logging.getLogger(__name__)
WRITE_TAG = "write"


@dataclass(frozen=True)
class ServerSpec:
    name: str  # "canary-identity"
    instructions: str
    register: Callable[[FastMCP], None]
    # What the tools use (servers/<name>/deps.py): a frozen dataclass whose fields are named after
    # the container's; build_server fills it (Container.deps) and the tools never see the container.
    deps: type[Any] = NoDeps
    # Exception types a core service raises for a caller's mistake; their message is for the model.
    domain_errors: tuple[type[Exception], ...] = (LookupError, ValueError)


def _first_error(exc: ValidationError) -> str:
    first = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(p) for p in first["loc"])
    return f"invalid arguments: {where}: {first['msg']}" if where else f"invalid arguments: {first['msg']}"


class _QuietDomainErrors(logging.Filter):
    """FastMCP logs every failed call with its traceback; a caller's mistake (an unknown customer, a
    stale cursor) is an answer, not a crash, so it is logged as one line at INFO."""

    def __init__(self, kinds: tuple[type[Exception], ...]) -> None:
        super().__init__()
        self.kinds = kinds

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, self.kinds):
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.msg = f"{record.getMessage()}: {type(error).__name__}: {error}"
            record.args = None
        return True


_FASTMCP_CALLS = logging.getLogger("fastmcp.server.server")


def _quieten(kinds: tuple[type[Exception], ...]) -> None:
    if not any(isinstance(f, _QuietDomainErrors) and f.kinds == kinds for f in _FASTMCP_CALLS.filters):
        _FASTMCP_CALLS.addFilter(_QuietDomainErrors(kinds))


class DomainErrors(Middleware):
    def __init__(self, kinds: tuple[type[Exception], ...]) -> None:
        self._kinds = kinds

    async def on_call_tool(self, context: MiddlewareContext[Any], call_next: Any) -> Any:
        try:
            return await call_next(context)
        except ArgumentsError as exc:
            # A bad call (limit=0, a malformed date): say which argument and why, without pydantic's
            # URL or an echo of the input.
            if isinstance(exc.__cause__, ValidationError):
                raise ToolError(_first_error(exc.__cause__)) from None
            raise
        except ToolError as exc:
            # FastMCP wraps what a tool raised in a masked ToolError; unwrap the caller's mistakes.
            cause = exc.__cause__
            if isinstance(cause, ValidationError):
                raise ToolError(_first_error(cause)) from None
            if isinstance(cause, self._kinds) and not isinstance(cause, ToolError):
                raise ToolError(str(cause)) from None
            if isinstance(cause, OverflowError):
                # Date arithmetic on an in-range but extreme argument (as_of=0001-01-01 minus 90
                # days, a day count of 10**12): the caller's mistake, said plainly.
                raise ToolError(
                    "invalid arguments: a date or number is out of the range this tool can work with"
                ) from None
            raise


def build_server(
    spec: ServerSpec,
    *,
    settings: Settings | None = None,
    container: Container | None = None,
    read_only: bool = False,
    principal: Principal | None = None,
    http_auth: bool = False,
) -> FastMCP:
    """A server for one transport. Pass ``container`` to share one (the HTTP app, tests, agents);
    otherwise the lifespan bootstraps from ``settings`` and closes what it built. ``http_auth``
    requires a bearer token on every request (the container must then be given)."""
    if http_auth and container is None:
        raise ValueError("an HTTP server with auth needs the app's container")
    chosen = settings or (container.settings if container else Settings())
    # A stale or foreign cursor is a caller's mistake on every server that pages (core/paging.py).
    caller_mistakes = (*spec.domain_errors, PagingError)

    @asynccontextmanager
    async def lifespan(_server: FastMCP) -> AsyncIterator[dict[str, Runtime]]:
        own = container is None
        built = container or bootstrap(chosen)
        try:
            yield {
                "runtime": Runtime(
                    deps=built.deps(spec.deps),
                    read_only=read_only,
                    principal=principal,
                    stdio_merchant_id=None if http_auth else chosen.merchant_id,
                    stdio_actor=None if http_auth else chosen.actor,
                )
            }
        finally:
            if own:
                built.close()

    mcp = FastMCP(
        spec.name,
        instructions=spec.instructions,
        version="0.1.0",
        lifespan=lifespan,
        auth=CanaryTokenVerifier(container.tokens) if http_auth and container else None,
        middleware=[DomainErrors(caller_mistakes)],
        mask_error_details=True,
    )
    spec.register(mcp)
    register_prompts(mcp, spec.name)  # its workflows from prompts/mcp/<name>/
    _quieten(caller_mistakes)
    if read_only:
        mcp.disable(tags={WRITE_TAG})  # hidden as well as refused: the model is not offered them
    return mcp


def run_stdio(spec: ServerSpec, *, read_only: bool = False) -> None:
    """``python -m servers.<name>`` and ``canary mcp <name>``: serve over stdio until the client goes.

    stdout is the protocol stream, so logging goes to stderr and FastMCP's banner and update check
    are off."""
    os.environ.setdefault("FASTMCP_CHECK_FOR_UPDATES", "off")
    try:
        settings = Settings()
        logging.basicConfig(stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
        logging.getLogger().setLevel(settings.log_level)  # CANARY_LOG_LEVEL, to stderr only
        container = bootstrap(settings)  # before serving: a bad setting is one line, not a traceback
        check_connection(container.db.engine)
    except (ValidationError, ConfigurationError, StorageUnavailableError, BusError) as exc:
        print(f"error: {settings_problem(exc)}", file=sys.stderr)
        raise SystemExit(2) from None
    if settings.merchant_id:
        # A merchant this database has never onboarded would look like an empty shop to every tool.
        try:
            require_merchant(container.db, settings.merchant_id)
        except UnknownMerchantError as exc:
            container.close()
            print(f"error: CANARY_MERCHANT_ID: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
    try:
        build_server(spec, container=container, read_only=read_only).run("stdio", show_banner=False)
    finally:
        container.close()


def settings_problem(exc: Exception) -> str:
    """One line naming the variable to fix."""
    if isinstance(exc, ValidationError):
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        return f"CANARY_{where.upper()}: {first['msg']}"
    return str(exc)
