"""The ``identity`` plan through the canary-identity MCP server, in process (``fastmcp.Client``).

The server is built as the HTTP app and the tests build it: ``build_server(SPEC, container=…,
principal=…)`` over a container bootstrapped on the application role's URL, with a read-only
analyst as the caller. What this adds to the service figure is the MCP layer itself: JSON-RPC
framing, argument validation, the worker-thread hop of a sync tool and result serialisation.
Like ``canary mcp``, this is an entry point that hosts a server: it reaches it through
``servers.registry`` and ``servers.common`` only (tests/unit/test_layers.py allows exactly that), and
imports them when it runs, so ``canary bench`` without the MCP scenario never loads FastMCP and the
scenario still runs, and says why, if ``servers.identity`` cannot be imported.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.auth.principal import Principal
from core.bench.identity_calls import TOOLS, Call, timed_async
from core.bench.identity_data import END, MERCHANT
from core.bootstrap import bootstrap
from core.clock import FixedClock
from core.settings import Settings

SERVER = "identity"
SERVER_MODULE = "servers.identity"
ANALYST = Principal(merchant_id=MERCHANT, role="analyst", scopes=frozenset({"read"}), transport="memory")


@dataclass
class McpFigures:
    seconds: dict[str, list[float]] = field(default_factory=dict)  # tool → seconds per page
    listing: list[float] = field(default_factory=list)  # seconds per tools/list round trip
    errors: dict[str, str] = field(default_factory=dict)  # tool → why it could not be measured


def unavailable() -> str | None:
    """Why the MCP layer cannot be measured, or ``None`` when ``servers.identity`` imports."""
    from servers.registry import spec

    try:
        spec(SERVER)
    except (ImportError, LookupError) as exc:
        return f"{SERVER_MODULE} cannot be imported yet ({exc})"
    return None


def _key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def measure(app_url: str, work_dir: Path, calls: dict[str, list[Call]], samples: int) -> McpFigures:
    settings = Settings(
        database_url=app_url,
        master_key=_key(),
        ledger_signing_key=_key(),
        redis_url=None,
        var_dir=work_dir,
        database_pool_size=2,
    )
    container = bootstrap(settings, clock=FixedClock(END))
    try:
        return asyncio.run(_measure(container, calls, samples))
    finally:
        container.close()


def _next_cursor(content: Any) -> str | None:
    if isinstance(content, dict):
        if "next_cursor" in content:
            return content["next_cursor"]  # type: ignore[no-any-return]
        if isinstance(content.get("result"), dict):  # a tool whose output schema wraps the result
            return _next_cursor(content["result"])
    return None


async def _measure(container: Any, calls: dict[str, list[Call]], samples: int) -> McpFigures:
    from fastmcp import Client

    from servers.common.server import build_server
    from servers.registry import spec

    server = build_server(spec(SERVER), container=container, principal=ANALYST)
    figures = McpFigures()
    async with Client(server) as client:
        offered = {tool.name for tool in await client.list_tools()}

        async def invoke(tool: str, args: dict[str, Any]) -> str | None:
            result = await client.call_tool(tool, args)
            return _next_cursor(result.structured_content)

        for tool in TOOLS:
            if tool not in offered:
                figures.errors[tool] = f"the server offers no tool {tool!r}"
                continue
            plan: Sequence[Call] = calls[tool]
            try:
                await invoke(plan[0].tool, dict(plan[0].args))  # warm-up, not timed
                figures.seconds[tool] = await timed_async(plan, invoke, samples)
            # One tool refusing the plan's arguments must not lose the other tools' figures.
            except Exception as exc:  # noqa: BLE001
                figures.errors[tool] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        # The 2026-07-28 protocol has no ping; tools/list is the cheapest round trip it answers.
        for _ in range(samples):
            began = time.perf_counter()
            await client.list_tools()
            figures.listing.append(time.perf_counter() - began)
    return figures
