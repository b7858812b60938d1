"""What canary-fox's tools use, and nothing else.

``build_server`` (servers/common/server.py) fills it from the composition root (``Container.deps``,
core/bootstrap.py); a field is named after the container's field it comes from.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastmcp import Context

from core.auth.principal import Principal
from core.cases.service.service import FoxService
from core.clock import Clock
from servers.common.runtime import READ
from servers.common.runtime import require as require_scope


@dataclass(frozen=True)
class FoxDeps:
    fox_service: FoxService
    clock: Clock


def require(ctx: Context, scope: str = READ) -> tuple[FoxDeps, Principal]:
    """What the tools call, and the caller, checked for ``scope`` (``servers.common.require``)."""
    rt, who = require_scope(ctx, scope)
    return rt.deps_of(FoxDeps), who
