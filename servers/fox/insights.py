"""Across cases: per-rule outcome statistics, the digest, and the tenant's bundling policy."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastmcp import Context, FastMCP
from pydantic import AwareDatetime, Field

from servers.common import READ_ONLY, WRITE_IDEMPOTENT, safe
from servers.common.server import WRITE_TAG
from servers.fox.args import actor
from servers.fox.deps import require
from servers.fox.results import BundlingPolicyView, CaseDigestView, RuleOutcomeReport

BY = Literal[
    "employee_session", "employee_day", "employee", "device", "customer", "store", "rule_key", "none"
]


def register(mcp: FastMCP) -> None:
    @mcp.tool(annotations=READ_ONLY)
    def rule_outcome_stats(
        ctx: Context,
        since: Annotated[
            AwareDatetime | None, Field(description="Window start (inclusive, UTC); default 30 days ago.")
        ] = None,
        until: Annotated[
            AwareDatetime | None, Field(description="Window end (exclusive); default now.")
        ] = None,
        rule_id: Annotated[
            str | None, Field(max_length=32, description="Only this rule, e.g. 'Q-VR-03'.")
        ] = None,
    ) -> RuleOutcomeReport:
        """Per rule, over the detections that happened in the window: hits (alerts Fox received),
        cases, outcome counts of its detections in closed cases, false-positive rate (false positives
        / outcomes) and precision (confirmed fraud / (confirmed fraud + false positives)); rates are
        null until there is something to divide. Use it to judge whether a rule is worth its noise."""
        deps, who = require(ctx)
        end = until or deps.clock.now()
        start = since or end - timedelta(days=30)
        report = deps.fox_service.rule_outcome_stats(who.merchant_id, start, end, rule_id, stores=who.stores)
        return safe(report)

    @mcp.tool(annotations=READ_ONLY)
    def case_digest(
        ctx: Context,
        period: Annotated[Literal["daily", "weekly"], Field(description="The digest's period.")] = "daily",
        end: Annotated[
            AwareDatetime | None, Field(description="The period's end (UTC); default now.")
        ] = None,
    ) -> CaseDigestView:
        """One message instead of N alerts: over the period, cases opened and closed, the
        confirmed-fraud rate of the closed ones, the top 3 patterns (rules by detections in the cases
        opened) and the open cases per store ranked by their highest severity."""
        deps, who = require(ctx)
        return safe(deps.fox_service.case_digest(who.merchant_id, period, end, stores=who.stores))

    @mcp.tool(annotations=WRITE_IDEMPOTENT, tags={WRITE_TAG})
    def set_bundling_policy(
        ctx: Context,
        family: Annotated[
            str,
            Field(
                min_length=1,
                max_length=32,
                description="A rule family (void_return, drawer_session, tender_mix, discount_markdown, "
                "audit_trail, margin_erosion, inventory_shrink, mix_match, tax_compliance, "
                "customer_tier, card_velocity, anomaly, store_anomaly) or '*' for every family without "
                "its own.",
            ),
        ],
        by: Annotated[BY, Field(description="What one case is keyed by.")],
        window_hours: Annotated[
            int, Field(ge=1, le=24 * 90, description="How far apart (hours) alerts of one case may be.")
        ],
    ) -> BundlingPolicyView:
        """Set how this tenant's alerts of one rule family are bundled into cases, e.g. void_return by
        employee_session within 24 hours. Applies to alerts received from now on; existing cases keep
        their detections. Recorded with you as the one who set it. Operator tool (needs the
        rules:write scope)."""
        deps, who = require(ctx, "rules:write")
        view = deps.fox_service.set_bundling_policy(
            who.merchant_id, family, by, window_hours, actor=actor(who)
        )
        return safe(view)
