"""What each HTTP route group uses, and nothing else.

``create_app`` (core/web/app.py) fills each from the composition root (``Container.deps``,
core/bootstrap.py) and puts it on ``app.state``; a handler reads its own group's and never sees the
container. A field is named after the container's field it comes from.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.auth.tokens import TokenService
from core.bubble.service.views import BubbleViews
from core.cases.service.service import FoxService
from core.clock import Clock
from core.customers.service import IdentityService
from core.db.uow import Database
from core.ingest.inbox import Inbox
from core.ingest.routing import MerchantDirectory
from core.pipeline.health import HealthService
from core.pipeline.ops import OpsService
from core.pipeline.workers import Pipeline
from core.rules.service import ChirpService
from core.settings import Settings


@dataclass(frozen=True)
class IngressDeps:
    """``/webhooks/square`` and ``/ingest/{source}``: route, verify, accept into the inbox."""

    settings: Settings  # the body cap
    directory: MerchantDirectory
    inbox: Inbox


@dataclass(frozen=True)
class OpsDeps:
    """``/healthz`` and ``/metrics``."""

    db: Database
    health: HealthService
    ops: OpsService
    pipeline: Pipeline  # the stages the stuck-stage alarms look at


@dataclass(frozen=True)
class ConsoleDeps:
    """``/console``: the same services the MCP servers call, and the tokens it signs in with."""

    chirp_service: ChirpService
    fox_service: FoxService
    identity: IdentityService
    bubble_views: BubbleViews
    tokens: TokenService
    clock: Clock
