"""Errors Chirp's services raise for a request the caller can fix.

Every one derives from ``ChirpError`` (``user_facing = True``, the convention of docs/mcp.md): its
message is written for the caller, holds nothing internal, and the canary-chirp server passes it on
as a tool error. Anything else a service raises is a bug, and the server masks it.
"""

from __future__ import annotations


class ChirpError(Exception):
    user_facing = True


class InvalidRequestError(ChirpError, ValueError):
    """Arguments that cannot work (an end before a start, an unknown outcome)."""


class NotFoundError(ChirpError, LookupError):
    """A detection or allow-list entry the tenant does not have."""
