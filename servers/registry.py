"""The five MCP servers by name: what `canary mcp <name>`, the HTTP app (`/mcp/<name>`) and mcp.json
agree on. Each entry is the module that defines ``SPEC`` (a ``ServerSpec``), imported on demand so
that starting one server never imports the others."""

from __future__ import annotations

import importlib

from servers.common.server import ServerSpec

SERVERS: dict[str, str] = {
    "identity": "servers.identity",
    "chirp": "servers.chirp",
}


class UnknownServerError(LookupError):
    pass


def spec(name: str) -> ServerSpec:
    try:
        module = SERVERS[name]
    except KeyError:
        raise UnknownServerError(f"unknown MCP server {name!r}: choose from {', '.join(SERVERS)}") from None
    found = importlib.import_module(module).SPEC
    if not isinstance(found, ServerSpec):
        raise TypeError(f"{module}.SPEC is not a ServerSpec")
    return found
