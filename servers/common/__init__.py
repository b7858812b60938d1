"""What every Canary MCP server shares: construction from settings in a lifespan, who the caller is,
scope checks, read-only mode, annotations, pagination types, sanitised strings and error mapping.

The conventions are written down in docs/mcp.md; a server package uses only this module's names.
"""

from servers.common.annotations import DESTRUCTIVE, READ_ONLY, WRITE, WRITE_IDEMPOTENT
from servers.common.auth import CanaryTokenVerifier
from servers.common.paging import Cursor, Limit
from servers.common.runtime import NoDeps, Runtime, caller, require, runtime
from servers.common.sanitise import SafeStr, clean, safe, safe_model, scrub, unsafe_fields
from servers.common.server import WRITE_TAG, ServerSpec, build_server, run_stdio

__all__ = [
    "DESTRUCTIVE",
    "READ_ONLY",
    "WRITE",
    "WRITE_IDEMPOTENT",
    "WRITE_TAG",
    "CanaryTokenVerifier",
    "Cursor",
    "Limit",
    "NoDeps",
    "Runtime",
    "SafeStr",
    "ServerSpec",
    "build_server",
    "caller",
    "clean",
    "require",
    "run_stdio",
    "runtime",
    "safe",
    "safe_model",
    "scrub",
    "unsafe_fields",
]
