"""What each agent may call, decided from the servers' own tool annotations (never from tool names).

Every Canary tool declares ``readOnlyHint`` and ``destructiveHint`` (servers/common/annotations.py);
pydantic-ai hands them to a toolset filter as ``tool_def.metadata["annotations"]``, spelled as on the
wire. A tool that declares nothing counts as a write: missing annotations never widen access.

- Owl: read-only tools only (``read_only``). The servers an Owl run starts are also read-only
  themselves, so a write tool is neither offered nor callable.
- Fox: every write needs a person's approval first (``approval_for_writes``): the call becomes a
  deferred request and runs only if approved; a denied one is answered with the denial and never
  reaches the server.
"""

from __future__ import annotations

from typing import Any

from pydantic_ai import RunContext
from pydantic_ai.tools import ToolDefinition
from pydantic_ai.toolsets import AbstractToolset, ApprovalRequiredToolset, FilteredToolset


def annotations(tool_def: ToolDefinition) -> dict[str, Any]:
    found = (tool_def.metadata or {}).get("annotations")
    return found if isinstance(found, dict) else {}


def is_read_only(tool_def: ToolDefinition) -> bool:
    return annotations(tool_def).get("readOnlyHint") is True


def is_destructive(tool_def: ToolDefinition) -> bool:
    # MCP's default for a non-read-only tool is destructive; ours always say, but absence is treated
    # the strict way.
    marks = annotations(tool_def)
    return not is_read_only(tool_def) and marks.get("destructiveHint", True) is not False


def read_only(toolset: AbstractToolset[Any]) -> FilteredToolset[Any]:
    return FilteredToolset(toolset, lambda _ctx, tool_def: is_read_only(tool_def))


def _needs_approval(_ctx: RunContext[Any], tool_def: ToolDefinition, _args: dict[str, Any]) -> bool:
    return not is_read_only(tool_def)


def approval_for_writes(toolset: AbstractToolset[Any]) -> ApprovalRequiredToolset[Any]:
    return ApprovalRequiredToolset(toolset, approval_required_func=_needs_approval)
