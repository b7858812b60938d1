"""Customer tier (Q.2.9): wholesale or landscaper tiers that shop like retail, and tier changes just
before a large purchase."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from core.rules import recency
from core.rules.context import RuleContext
from core.rules.model import Family, Finding, Parameter, Queue, Scope, Severity, Subject, Substrate, rule
from core.rules.windows import (
    CUSTOMERS,
    ITEMS,
    SALE_TYPES,
    SUBSTRATE,
    first_sale_now,
    items_since_now,
    new_as_of,
    reaches_back,
)
from core.text import money

HOUR, DAY = 3600.0, 86_400.0


@rule(
    id="Q-CT-01",
    family=Family.CUSTOMER_TIER,
    title="Wholesale or landscaper tier with a retail purchase pattern",
    requires=("customer.tier", "transaction.customer_id", "transaction.amount_cents"),
    triggers=("transaction", "customer"),
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
    history=(
        CUSTOMERS,
        ITEMS,
        SUBSTRATE,
    ),
)
def trade_tier_retail_pattern(ctx: RuleContext) -> Iterable[Finding]:
    """A customer in a trade tier (wholesale, landscaper) whose recent tickets look retail: a small
    average ticket and mostly single-line walk-in purchases. Queued for a tier review, once per
    customer per cool-down period. The tickets are read in event time, whatever order they arrived
    in: each of the customer's last 50 tickets is judged on the tickets up to it, at the first in
    each cool-down period where the pattern holds. A customer's record arriving after the tickets
    re-judges them, and so does an earlier-timed sale that moves an item's first sale (or where the
    item history begins) under a new-item grace; a period that no longer holds, or holds at another
    ticket, is withdrawn."""
    facts = ctx.facts
    txn, record = facts.transaction, facts.customer
    judge: set[str] = set()
    if record is not None:
        judge.add(record.id)
    if txn is not None and txn.type in SALE_TYPES and txn.customer_id:
        _hold_ticket(ctx, txn)
        judge.add(txn.customer_id)
    if ctx.whole("new_item_grace_days") and reaches_back(ctx.state, facts):
        held = ctx.memory.get(CUSTOMERS_HELD) or {}
        judge.update(c for c, latest in held.items() if latest >= facts.ts)
    out: list[Finding] = []
    for customer_id in sorted(judge):
        out.extend(_judge_customer(ctx, customer_id))
    return out


CUSTOMERS_HELD = "customers"  # memory: {customer: latest ticket time}
CUSTOMERS_KEPT = 400 * DAY  # how far behind the latest ticket a late sale still re-judges
TICKETS_HELD = 50


def _hold_ticket(ctx: RuleContext, txn: Any) -> None:
    """The ticket in its customer's tickets, kept in event time (the latest 50; a redelivery or a
    later version of a ticket already held changes nothing)."""
    facts = ctx.facts
    key = f"tickets|{txn.customer_id}"
    held = ctx.memory.get(key) or {"tickets": {}}
    if txn.id in held["tickets"]:
        return
    items = sorted({li.item_id for li in facts.line_items if li.item_id})
    row = [facts.ts, txn.amount_cents, len(facts.line_items), items, txn.location_id, txn.currency]
    tickets = sorted({**held["tickets"], txn.id: row}.items(), key=lambda t: (t[1][0], t[0]))
    ctx.memory.put(key, {**held, "ts": tickets[-1][1][0], "tickets": dict(tickets[-TICKETS_HELD:])})
    recency.touch(ctx.state, ctx.memory, CUSTOMERS_HELD, txn.customer_id, facts.ts, CUSTOMERS_KEPT)


def _judge_customer(ctx: RuleContext, customer_id: str) -> list[Finding]:
    """The customer's findings as they stand on the tickets and tier known now, for each cool-down
    period whose verdict changed (its withdrawal first where it was reported otherwise)."""
    key = f"tickets|{customer_id}"
    held = ctx.memory.get(key)
    if held is None:
        return []
    tier = ctx.tier(customer_id)
    trade = tier is not None and tier.upper() in {t.upper() for t in ctx.texts("wholesale_tiers")}
    grace = ctx.whole("new_item_grace_days") * DAY
    since = items_since_now(ctx.state, ctx.facts)
    cooldown = ctx.whole("cooldown_days") * DAY
    least = ctx.whole("min_tickets")
    rows = [
        [row[0], row[1], row[2], txn_id, row[3], row[4], row[5]] for txn_id, row in held["tickets"].items()
    ]
    rows.sort(key=lambda t: (t[0], t[3]))
    if grace:
        kept = []
        for t in rows:
            firsts = [f for f in (first_sale_now(ctx.state, ctx.facts, i) for i in t[4]) if f is not None]
            # A ticket is left out only when even its oldest item is new to the catalog.
            if not new_as_of(since, min(firsts, default=t[0]), t[0], grace):
                kept.append(t)
        rows = kept
    found: dict[str, Finding] = {}
    verdicts: dict[str, list[Any]] = {}
    for n in range(len(rows)) if trade else ():
        tickets = rows[max(0, n + 1 - 2 * least) : n + 1]
        if len(tickets) < least:
            continue
        episode = f"{customer_id}|{int(rows[n][0] // cooldown)}"
        if episode in verdicts:
            continue
        average = sum(t[1] for t in tickets) / len(tickets)
        single = sum(1 for t in tickets if t[2] <= 1) / len(tickets)
        if average > ctx.whole("max_avg_ticket_cents") or single < ctx.num("min_single_line_share"):
            continue
        verdicts[episode] = [rows[n][3], len(tickets), round(average), round(single, 3)]
        found[episode] = _finding(ctx, customer_id, str(tier), tickets, average, single, episode)
    before = held.get("verdicts") or {}
    if before == verdicts:
        return []
    ctx.memory.put(key, {**held, "verdicts": verdicts})
    out = []
    for episode in sorted(set(before) | set(verdicts)):
        if before.get(episode) == verdicts.get(episode):
            continue
        if episode in before:
            out.append(
                Finding.withdrawal(
                    episode, "the customer's tickets stand differently now", ctx.facts.occurred_at
                )
            )
        if episode in found:
            out.append(found[episode])
    return out


def _finding(
    ctx: RuleContext,
    customer_id: str,
    tier: str,
    tickets: list[list[Any]],
    average: float,
    single: float,
    episode: str,
) -> Finding:
    last = tickets[-1]
    at = datetime.fromtimestamp(last[0], UTC)
    return Finding(
        summary=f"{tier} customer shops like retail: average {money(average, last[6])}, "
        f"{single:.0%} single-line",
        subject=Subject(
            customer_id=customer_id,
            customer_tier=tier,
            location_id=last[5],
            items=tuple(sorted({i for t in tickets for i in t[4]})),
            local_time=at.isoformat(),
        ),
        occurred_at=at,
        entity_id=customer_id,
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
            "customer": ctx.customer(customer_id) or {},
        },
        episode=episode,
        extent=len(tickets),
    )


@rule(
    id="Q-CT-02",
    family=Family.CUSTOMER_TIER,
    title="Tier change within 72 h before a large purchase",
    requires=("customer.tier", "transaction.customer_id", "transaction.amount_cents"),
    triggers=("transaction", "customer"),
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
    history=(CUSTOMERS,),
)
def tier_change_before_purchase(ctx: RuleContext) -> Iterable[Finding]:
    """A large purchase by a customer whose tier changed within the window before it: the
    same-day-upgrade-then-buy pattern. The tier history is the customer's records in event time,
    so a purchase and the record that upgraded the customer may arrive in either order: a record
    arriving after the purchase re-examines the customer's recent tickets. A change after the
    purchase never explains it."""
    facts = ctx.facts
    txn, record = facts.transaction, facts.customer
    window, large = ctx.whole("window_hours") * HOUR, ctx.whole("large_purchase_cents")
    if txn is not None and txn.type in SALE_TYPES and txn.customer_id:
        if txn.amount_cents < large:
            return []
        held = ctx.customer(txn.customer_id) or {}
        ticket = [
            facts.ts,
            txn.amount_cents,
            len(facts.line_items),
            txn.id,
            0.0,
            txn.employee_id,
            txn.location_id,
        ]
        return _upgrades_before(ctx, txn.customer_id, tier_history(held), [ticket], window)
    if record is not None:
        held = ctx.customer(record.id) or {}
        tickets = [t for t in held.get("tickets", []) if t[1] >= large]
        history = [*tier_history(held), [facts.ts, record.tier]]
        return _upgrades_before(ctx, record.id, history, tickets, window)
    return []


def tier_history(held: dict[str, Any]) -> list[list[Any]]:
    """[time, tier] of each customer record seen (state from before this was kept: its changes)."""
    if "tiers" in held:
        return list(held["tiers"])
    return [r for c in held.get("changes", []) for r in ([c[0] - 1, c[1]], [c[0], c[2]])]


def _upgrades_before(
    ctx: RuleContext, customer_id: str, history: list[list[Any]], tickets: list[list[Any]], window: float
) -> list[Finding]:
    seen = sorted({(float(at), str(tier)) for at, tier in history if tier is not None})
    changes = [(b[0], a[1], b[1]) for a, b in pairwise(seen) if a[1] != b[1]]
    out = []
    for ticket in tickets:
        at, amount, txn_id = ticket[0], ticket[1], ticket[3]
        within = [c for c in changes if 0 <= at - c[0] <= window]
        if not within:
            continue
        last = within[-1]
        out.append(
            Finding(
                summary=f"tier changed {last[1]} → {last[2]} {((at - last[0]) / HOUR):.0f} h before a "
                f"{amount}-cent purchase",
                subject=ctx.subject(
                    [],
                    customer_id=customer_id,
                    customer_tier=last[2],
                    employee_id=ticket[5] if len(ticket) > 5 else None,
                    location_id=ticket[6] if len(ticket) > 6 else None,
                    station_id=None,
                    drawer_session_id=None,
                    local_time=None,
                ),
                occurred_at=datetime.fromtimestamp(at, UTC),
                entity_id=txn_id,
                measurements={
                    "amount_cents": amount,
                    "hours_before": round((at - last[0]) / HOUR, 1),
                    "from_tier": last[1],
                    "to_tier": last[2],
                },
                evidence={
                    "ticket": {
                        "transaction_id": txn_id,
                        "at": at,
                        "amount_cents": amount,
                        "lines": ticket[2],
                    },
                    "tier_changes": [{"at": c[0], "from": c[1], "to": c[2]} for c in within],
                },
                episode=txn_id,
                extent=len(within),
            )
        )
    return out


RULES = (trade_tier_retail_pattern, tier_change_before_purchase)
