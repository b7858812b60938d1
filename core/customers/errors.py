"""Errors R's services raise for a question the caller can fix.

``user_facing = True`` is the convention every MCP server follows (docs/mcp.md): the
message is written for the caller, contains nothing internal, and is passed on as a tool error.
"""

from __future__ import annotations


class IdentityError(Exception):
    user_facing = True


class CustomerNotFoundError(IdentityError, LookupError):
    pass


class InvalidArgumentError(IdentityError, ValueError):
    pass
