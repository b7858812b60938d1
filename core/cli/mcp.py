"""``canary mcp <name> [--read-only]``: one MCP server over stdio, for a local MCP client.

stdout is the protocol stream from the first byte, so this command writes nothing to it; errors go
to stderr. The caller's merchant comes from ``CANARY_MERCHANT_ID`` (see mcp.json).
"""

from __future__ import annotations

import typer

from core.cli.errors import UsageError, friendly
from servers.registry import SERVERS, UnknownServerError, spec


def register(app: typer.Typer) -> None:
    app.command("mcp")(mcp)


@friendly
def mcp(
    name: str = typer.Argument(..., help=f"The server: {', '.join(SERVERS)}."),
    read_only: bool = typer.Option(False, "--read-only", help="Hide and refuse every write tool."),
) -> None:
    """Serve an MCP server over stdio (CANARY_DATABASE_URL, CANARY_MERCHANT_ID, … from the environment)."""
    from servers.common.server import run_stdio

    try:
        chosen = spec(name)
    except UnknownServerError as exc:
        raise UsageError(str(exc)) from None
    except ModuleNotFoundError as exc:
        if exc.name != SERVERS[name]:
            raise
        raise UsageError(f"MCP server {name!r} is registered but not built yet ({SERVERS[name]})") from None
    run_stdio(chosen, read_only=read_only)
