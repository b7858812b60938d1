"""The four kinds of tool, as MCP annotations. Every tool takes one of these; none is built ad hoc.

Nothing in Canary reaches outside the merchant's own data, so ``open_world_hint`` is always False.
"""

from __future__ import annotations

from mcp.types import ToolAnnotations

READ_ONLY = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
# Writes that add or change state; repeating one has a second effect (a second note, a new version).
WRITE = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False
)
# Writes whose repetition changes nothing more (set a policy, pin a version, apply the same pack).
WRITE_IDEMPOTENT = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
# Writes that remove or end something (revoke an allow-list entry, dismiss a case).
DESTRUCTIVE = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False
)
