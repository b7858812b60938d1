"""The MCP servers by name: what `canary mcp <name>`, the HTTP app (`/mcp/<name>`) and mcp.json
agree on. Each entry is the module that defines ``SPEC`` (a ``ServerSpec``), imported on demand so
that starting one server never imports the others."""

from __future__ import annotations

import importlib
import logging

from servers.common.server import ServerSpec

log = logging.getLogger(__name__)

SERVERS: dict[str, str] = {
    "identity": "servers.identity",
    "chirp": "servers.chirp",
    "tsp-ops": "servers.tsp_ops",
    "fox": "servers.fox",
    "bubble": "servers.bubble",
}


class UnknownServerError(LookupError):
    pass


def spec(name: str) -> ServerSpec:
    try:
        module = SERVERS[name]
    except KeyError:
        raise UnknownServerError(f"unknown MCP server {name!r}: choose from {', '.join(SERVERS)}") from None
    imported = importlib.import_module(module)
    if getattr(imported, "__file__", None) is None:
        # A folder without __init__.py imports as a namespace package: a server still being written.
        raise ModuleNotFoundError(f"{module} has no __init__.py yet", name=module)
    found = getattr(imported, "SPEC", None)
    if not isinstance(found, ServerSpec):
        raise TypeError(f"{module}.SPEC is missing or not a ServerSpec")
    return found


def available() -> dict[str, ServerSpec]:
    """Every registered server whose package exists. A registered server whose package is missing
    (being built on a branch) is skipped with a warning; any other import failure, including a
    missing module *inside* an existing package, is a bug and propagates."""
    found: dict[str, ServerSpec] = {}
    for name, module in SERVERS.items():
        try:
            found[name] = spec(name)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            log.warning("MCP server %r is registered but %s does not exist yet: not served", name, module)
    return found
