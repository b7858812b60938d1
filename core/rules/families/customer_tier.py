"""Customer tier (Q.2.9): wholesale or landscaper tiers that shop like retail, and tier changes just
before a large purchase."""

from __future__ import annotations

from collections.abc import Iterable

from core.rules.context import RuleContext
from core.rules.model import Family, Finding, Parameter, Queue, Scope, Severity, Substrate, rule
from core.rules.windows import SALE_TYPES, first_seen_new, item_first_seen

HOUR, DAY = 3600.0, 86_400.0


@rule(
    id="Q-CT-01",
    family=Family.CUSTOMER_TIER,
    title="Wholesale or landscaper tier with a retail purchase pattern",
    requires=("customer.tier", "transaction.customer_id", "transaction.amount_cents"),
    triggers=("transaction",),
    parameters=(
        Parameter(
            "wholesale_tiers",
            ("WHOLESALE", "LANDSCAPER", "CONTRACTOR"),
            "Tier codes that mean trade pricing (ASSUMPTION-Q-10: codes vary per customer)",
        ),
        Parameter("min_tickets", 5, "Tickets needed before the pattern is judged", 2, 50),
        Parameter(
            "max_avg_ticket_cents",
            10_000,
            "Average ticket at or under which the pattern is retail",
            0,
            100_000_000,
            unit="cents",
        ),
        Parameter("min_single_line_share", 0.6, "Share of single-line tickets that is retail-like", 0.0, 1.0),
        Parameter(
            "new_item_grace_days",
            0,
            "Ignore tickets of only items new to the catalog this recently (item-code drift; items "
            "already selling when the history began are not new)",
            0,
            365,
            unit="days",
        ),
        Parameter(
            "cooldown_days", 30, "Days before the same customer is reported again", 1, 365, unit="days"
        ),
    ),
    allow_scopes=(Scope.CUSTOMER, Scope.CUSTOMER_TIER),
    severity=Severity.LOW,
    queue=Queue.REVIEW,
    substrates=(Substrate.COUNTERPOINT,),
    vertical_note="seasonal landscaper conversions: the garden-center pack ignores new-item tickets",
)
def trade_tier_retail_pattern(ctx: RuleContext) -> Iterable[Finding]:
    """A customer in a trade tier (wholesale, landscaper) whose recent tickets look retail: a small
    average ticket and mostly single-line walk-in purchases. Queued for a tier review, once per
    customer per cool-down period."""
    facts = ctx.facts
    txn = facts.transaction
    if txn is None or txn.type not in SALE_TYPES or not txn.customer_id:
        return []
    tier = ctx.tier(txn.customer_id)
    if not tier or tier.upper() not in {t.upper() for t in ctx.texts("wholesale_tiers")}:
        return []
    held = ctx.customer(txn.customer_id) or {}
    ages = [facts.ts - (item_first_seen(ctx.state, li.item_id) or facts.ts) for li in facts.line_items]
    tickets = [t for t in held.get("tickets", []) if t[3] != txn.id]
    tickets.append([facts.ts, txn.amount_cents, len(facts.line_items), txn.id, max(ages, default=0.0)])
    grace = ctx.whole("new_item_grace_days") * DAY
    if grace:
        # t[4] is the age of the ticket's oldest item, so t[0] - t[4] is when that item was first seen:
        # a ticket is left out only when even its oldest item is new to the catalog.
        tickets = [t for t in tickets if not first_seen_new(ctx.state, t[0] - t[4], t[0], grace)]
    tickets = tickets[-2 * ctx.whole("min_tickets") :]
    if len(tickets) < ctx.whole("min_tickets"):
        return []
    average = sum(t[1] for t in tickets) / len(tickets)
    single = sum(1 for t in tickets if t[2] <= 1) / len(tickets)
    if average > ctx.whole("max_avg_ticket_cents") or single < ctx.num("min_single_line_share"):
        return []
    return [
        Finding(
            summary=f"{tier} customer shops like retail: average {average:.0f} cents, "
            f"{single:.0%} single-line",
            subject=ctx.subject([], employee_id=None),
            occurred_at=txn.occurred_at,
            entity_id=txn.customer_id,
            measurements={
                "tier": tier,
                "tickets": len(tickets),
                "average_ticket_cents": round(average),
                "single_line_share": round(single, 3),
            },
            evidence={
                "tickets": [
                    {"at": t[0], "amount_cents": t[1], "lines": t[2], "transaction_id": t[3]} for t in tickets
                ],
                "customer": held,
            },
            dedupe_key=f"{txn.customer_id}|{int(facts.ts // (ctx.whole('cooldown_days') * DAY))}",
        )
    ]


@rule(
    id="Q-CT-02",
    family=Family.CUSTOMER_TIER,
    title="Tier change within 72 h before a large purchase",
    requires=("customer.tier", "transaction.customer_id", "transaction.amount_cents"),
    triggers=("transaction",),
    parameters=(
        Parameter(
            "window_hours", 72, "How long before the purchase a tier change counts", 1, 2160, unit="hours"
        ),
        Parameter(
            "large_purchase_cents",
            100_000,
            "Smallest purchase that counts as large",
            100,
            1_000_000_000,
            unit="cents",
        ),
    ),
    allow_scopes=(Scope.CUSTOMER, Scope.EMPLOYEE, Scope.CUSTOMER_TIER),
    severity=Severity.MEDIUM,
    substrates=(Substrate.COUNTERPOINT,),
    vertical_note="seasonal tier churn at garden centers: widen the window rather than allow-list",
)
def tier_change_before_purchase(ctx: RuleContext) -> Iterable[Finding]:
    """A large purchase by a customer whose tier changed within the window before it: the
    same-day-upgrade-then-buy pattern. Only changes seen before the purchase count."""
    facts = ctx.facts
    txn = facts.transaction
    if txn is None or txn.type not in SALE_TYPES or not txn.customer_id:
        return []
    if txn.amount_cents < ctx.whole("large_purchase_cents"):
        return []
    window = ctx.whole("window_hours") * HOUR
    held = ctx.customer(txn.customer_id) or {}
    changes = [c for c in held.get("changes", []) if 0 <= facts.ts - c[0] <= window]
    if not changes:
        return []
    last = changes[-1]
    return [
        Finding(
            summary=f"tier changed {last[1]} → {last[2]} {((facts.ts - last[0]) / HOUR):.0f} h before a "
            f"{txn.amount_cents}-cent purchase",
            subject=ctx.subject(customer_tier=last[2]),
            occurred_at=txn.occurred_at,
            entity_id=txn.id,
            measurements={
                "amount_cents": txn.amount_cents,
                "hours_before": round((facts.ts - last[0]) / HOUR, 1),
                "from_tier": last[1],
                "to_tier": last[2],
            },
            evidence={
                "transaction": txn,
                "tier_changes": [{"at": c[0], "from": c[1], "to": c[2]} for c in changes],
            },
            dedupe_key=txn.id,
        )
    ]


RULES = (trade_tier_retail_pattern, tier_change_before_purchase)
