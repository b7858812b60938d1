"""Mode and pack tools: move a rule between dry_run, observation and alerting, and apply a vertical
pack (a named, previewable set of parameter values for one kind of retailer)."""

from __future__ import annotations

from typing import Annotated

from fastmcp import Context, FastMCP
from pydantic import Field

from core.rules.model import Mode
from core.rules.packs import PACKS
from servers.chirp.args import Reason, RuleId, actor, known_rule
from servers.chirp.deps import require
from servers.chirp.results import PackApplicationResult, PackPreview, PromotionResult
from servers.common import READ_ONLY, WRITE, safe
from servers.common.server import WRITE_TAG

TargetMode = Annotated[
    Mode,
    Field(
        description="dry_run: writes nothing; observation: writes detections, never alerts; "
        "alerting: writes detections and publishes alerts."
    ),
]
Force = Annotated[
    bool,
    Field(
        description="Promote even though the readiness check fails (logged as forced). Only when a "
        "person has accepted the reasons the check gave."
    ),
]
PackId = Annotated[
    str,
    Field(min_length=1, max_length=64, description=f"A vertical pack id: {', '.join(PACKS)}."),
]
Reapply = Annotated[
    bool,
    Field(
        description="Apply a pack that is already applied again; this resets this tenant's overrides "
        "of the pack's parameters to the pack's values."
    ),
]


def register(mcp: FastMCP) -> None:
    @mcp.tool(annotations=WRITE, tags={WRITE_TAG})
    def promote_rule(
        ctx: Context, rule_id: RuleId, mode: TargetMode, reason: Reason, force: Force = False
    ) -> PromotionResult:
        """Move one rule to another mode for this tenant: promote (dry_run → observation → alerting)
        or demote (any step back, e.g. alerting → dry_run to silence a noisy rule at once).

        A promotion first runs the readiness check: a dry run over recent stored events (the last 14
        days by default; there must be some, and not too many hits a day) and, once cases have
        outcomes, the false-positive rate. If it fails, nothing changes: `applied` is false and
        `readiness.reasons` says why (the refusal is still audit-logged); fix the causes or, with a
        person's agreement, retry with force=true. A demotion needs no check and applies at once.
        Asking for the mode the rule is already in changes nothing. Operator tool (needs the
        rules:write scope).
        """
        deps, who = require(ctx, "rules:write")
        return safe(
            deps.chirp_service.promote_rule(
                who.merchant_id, known_rule(deps, rule_id), mode, actor=actor(who), reason=reason, force=force
            )
        )

    @mcp.tool(annotations=READ_ONLY)
    def preview_vertical_pack(ctx: Context, pack_id: PackId) -> PackPreview:
        """Exactly what a vertical pack would change for this tenant, without changing anything: per
        change, the rule, the parameter, its current and proposed values, whether the value actually
        changes, and what the change does (e.g. the garden-center pack widens receiver tolerances and
        labels cash-paid growers as ad-hoc vendor payments). `applied` says whether the tenant already
        has it. Use it before apply_vertical_pack and show the changes to the person deciding.
        """
        deps, who = require(ctx)
        return safe(deps.chirp_service.preview_vertical_pack(who.merchant_id, pack_id))

    @mcp.tool(annotations=WRITE, tags={WRITE_TAG})
    def apply_vertical_pack(
        ctx: Context, pack_id: PackId, reason: Reason, reapply: Reapply = False
    ) -> PackApplicationResult:
        """Apply a vertical pack's parameter values (the changes preview_vertical_pack lists) to this
        tenant. The configurations they replace are snapshotted in the result and the audit log; a
        later tune_rule_threshold of a pack-set parameter is logged as a per-tenant override. Modes
        are not changed. Applying a pack that is already applied is refused unless reapply=true,
        which resets those overrides. Operator tool (needs the rules:write scope).
        """
        deps, who = require(ctx, "rules:write")
        result = deps.chirp_service.apply_vertical_pack(
            who.merchant_id, pack_id, actor=actor(who), reason=reason, reapply=reapply
        )
        return safe(result)
