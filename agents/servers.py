"""The MCP servers an agent works through: ONE list, built from ``servers.registry``.

Every registered server whose package exists joins, so a server added to the registry reaches Owl
and Fox without a change here. Three ways to reach them, same tools each way:

- ``in_process``: the servers built in this process on a given container, acting as a fixed caller
  (tests, the benchmark). No subprocess, no network.
- ``stdio``: each server started as a child process from ``mcp.json`` (``canary mcp <name>``). A
  stdio child inherits almost no environment (only HOME, PATH, USER and the like), so the entry's
  ``env`` is expanded here, a ``CANARY_*`` setting the agent itself was started with wins over
  mcp.json's plain default (the agent and its servers serve one deployment: the same database and
  var dir), and the caller's tenant is put in ``CANARY_MERCHANT_ID``: the servers an agent starts
  act for the same merchant as the person who started the agent.
- ``http``: the ingress app's ``/mcp/<name>`` endpoints with a bearer token; the token decides the
  merchant and the scopes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from fastmcp.client.transports import StdioTransport
from pydantic_ai.mcp import MCPToolset

from core.auth.principal import Principal
from core.bootstrap import Container
from servers.common import build_server
from servers.registry import available

MCP_JSON = Path(__file__).resolve().parents[1] / "mcp.json"
_VAR = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}")
# Tool errors come back to the model as failed calls it can read, not as a retry loop on bad args.
_ERRORS = "failed"
# A stdio child imports the whole application before it answers `initialize`; with five servers
# starting at once on a busy two-core machine that takes well over pydantic-ai's default of 5 s.
STDIO_START_TIMEOUT = 60.0


@dataclass(frozen=True)
class ServerToolset:
    """One server's toolset and the registry name it came from (``chirp``)."""

    name: str
    toolset: MCPToolset


def registered() -> list[str]:
    """The servers that exist today, in registry order."""
    return list(available())


def in_process(container: Container, principal: Principal, *, read_only: bool = False) -> list[ServerToolset]:
    found = []
    for name, spec in available().items():
        server = build_server(spec, container=container, principal=principal, read_only=read_only)
        found.append(ServerToolset(name, MCPToolset(server, id=name, tool_error_behavior=_ERRORS)))
    return found


def _expand(value: str, environ: Mapping[str, str]) -> str:
    return _VAR.sub(lambda m: environ.get(m.group(1)) or (m.group(2) or ""), value)


def _command(command: str, args: list[str]) -> tuple[str, list[str]]:
    """``canary`` where it is on PATH (or next to this interpreter), else ``python -m core.cli``."""
    if command != "canary":
        return command, args
    beside = Path(sys.executable).with_name("canary")
    found = shutil.which("canary") or (str(beside) if beside.exists() else None)
    return (found, args) if found else (sys.executable, ["-m", "core.cli", *args])


def _default_entry(name: str) -> dict[str, object]:
    """What mcp.json says for every Canary server: ``canary mcp <name>`` with the CANARY_* settings."""
    keep = ("CANARY_DATABASE_URL", "CANARY_VAR_DIR", "CANARY_LOG_LEVEL")
    return {"command": "canary", "args": ["mcp", name], "env": {k: f"${{{k}}}" for k in keep}}


def stdio(
    merchant_id: str,
    *,
    read_only: bool = False,
    actor: str | None = None,
    config: Path = MCP_JSON,
    environ: Mapping[str, str] | None = None,
) -> list[ServerToolset]:
    """Each registered server as ``mcp.json`` starts it, for ``merchant_id``. ``read_only`` passes
    ``--read-only`` (write tools hidden and refused by the server itself); ``actor`` names the person
    the writes are audit-logged for (``CANARY_ACTOR``)."""
    env_in = dict(os.environ if environ is None else environ)
    # An installed package has no mcp.json beside it: then every server starts the default way.
    entries = json.loads(config.read_text())["mcpServers"] if config.exists() else {}
    found = []
    for name, spec in available().items():
        entry = entries.get(spec.name) or _default_entry(name)
        expanded = {k: _expand(str(v), env_in) for k, v in entry.get("env", {}).items()}
        # The agent's own CANARY_* settings win over mcp.json's defaults for the same keys.
        expanded.update({k: env_in[k] for k in expanded if k.startswith("CANARY_") and env_in.get(k)})
        env = {k: v for k, v in expanded.items() if v}  # an unset setting keeps the server's default
        env["CANARY_MERCHANT_ID"] = merchant_id
        env["FASTMCP_CHECK_FOR_UPDATES"] = "off"
        if actor:
            env["CANARY_ACTOR"] = actor
        if "PATH" in env_in:
            env.setdefault("PATH", env_in["PATH"])
        command, args = _command(entry["command"], [_expand(a, env_in) for a in entry.get("args", [])])
        if read_only:
            args = [*args, "--read-only"]
        transport = StdioTransport(command=command, args=args, env=env, cwd=str(config.parent))
        toolset = MCPToolset(
            transport, id=name, tool_error_behavior=_ERRORS, init_timeout=STDIO_START_TIMEOUT
        )
        found.append(ServerToolset(name, toolset))
    return found


def http(base_url: str, token: str) -> list[ServerToolset]:
    """Each registered server at ``<base_url>/mcp/<name>``, with ``token`` as the bearer."""
    base = base_url.rstrip("/")
    return [
        ServerToolset(
            name, MCPToolset(f"{base}/mcp/{name}", id=name, auth=token, tool_error_behavior=_ERRORS)
        )
        for name in available()
    ]
