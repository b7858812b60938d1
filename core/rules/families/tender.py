"""Tender mix (Q.2.3): a session's cash share against its station's baseline, card-to-cash tender
swaps after the fact, and payment fragmentation."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from core.rules.context import RuleContext
from core.rules.model import Family, Finding, Parameter, Scope, Severity, rule
from core.rules.windows import audit_mentions, closures, tender_split
from core.text import money

MIN_SPREAD = 0.02  # a station whose sessions are all alike still varies by a couple of points


@rule(
    id="Q-TM-01",
    family=Family.TENDER,
    title="Session cash share far from the station's rolling baseline",
    requires=("tenders.tender_type", "tenders.amount_cents", "transaction.device_id"),
    optional=("transaction.drawer_session_id", "drawer_shift.state"),
    triggers=("transaction", "drawer_shift"),
    parameters=(
        Parameter("min_transactions", 5, "Sales a session needs before its share means anything", 1, 500),
        Parameter("min_baseline_sessions", 5, "Earlier sessions the station needs for a baseline", 2, 200),
        Parameter(
            "deviation_points",
            30.0,
            "Smallest gap from the baseline mean, in percentage points",
            1.0,
            100.0,
            unit="points",
        ),
        Parameter("z_threshold", 3.0, "Smallest gap in baseline standard deviations", 0.0, 20.0),
    ),
    allow_scopes=(Scope.STATION, Scope.EMPLOYEE, Scope.LOCATION, Scope.TIME_WINDOW),
    severity=Severity.LOW,
    vertical_note="farmers-market and event days are cash-heavy: allow-list them by time window and station",
)
def session_cash_share(ctx: RuleContext) -> Iterable[Finding]:
    """When a drawer session closes (its drawer is closed, or the station starts its next session or
    business day), its cash share of tendered sales is compared with the station's earlier sessions:
    it fires when the gap is both large in points and large in standard deviations. The deviation
    allowed grows for a session with few (or a few dominant) sales: four cash customers out of ten
    is chance, not a pattern. Sessions and baselines are worked out in event time: a sale or session
    that arrives late re-judges the closed sessions it belongs to or precedes, and one detection per
    session is updated as more of its sales or baseline arrive."""
    out = []
    minimum = ctx.whole("min_transactions")
    for closed in closures(ctx.state, ctx.facts):
        if closed.transactions < minimum or closed.total_cents <= 0:
            continue
        base = [share for share, count in closed.baseline if count >= minimum]
        if len(base) < ctx.whole("min_baseline_sessions"):
            continue
        mean = statistics.fmean(base)
        # Population spread in floats: statistics.pstdev is exact (fractions), ~50x slower, and this
        # runs at every session close; shares in [0, 1] lose nothing that matters at float precision.
        spread = max(math.sqrt(statistics.fmean((share - mean) ** 2 for share in base)), MIN_SPREAD)
        # How far a new session may fall from the baseline by chance. The spread is estimated from a
        # few sessions, so it is taken with k - 1 and widened by the uncertainty of the mean (a
        # prediction interval: s² (1 + 1/k)); and a smaller or lumpier session's share carries its
        # own sampling noise, p(1-p) over its effective number of sales (the share is money-weighted,
        # so one large cash ticket moves it like several small ones).
        k = len(base)
        sampling = mean * (1 - mean) / closed.effective_sales
        deviation = math.sqrt(spread**2 * k / (k - 1) * (1 + 1 / k) + sampling)
        gap = closed.share - mean
        z = abs(gap) / deviation
        if abs(gap) * 100 < ctx.num("deviation_points") or z < ctx.num("z_threshold"):
            continue
        out.append(
            Finding(
                summary=f"session cash share {closed.share:.0%} vs station baseline {mean:.0%}",
                subject=ctx.subject(
                    [],
                    station_id=closed.station,
                    employee_id=closed.employee,
                    drawer_session_id=closed.session,
                    local_time=closed.local_day,
                    customer_id=None,
                    customer_tier=None,
                ),
                occurred_at=datetime.fromtimestamp(closed.last_ts, UTC),
                entity_id=closed.session,
                measurements={
                    "cash_share": round(closed.share, 4),
                    "baseline_mean": round(mean, 4),
                    "baseline_sd": round(spread, 4),
                    "session_sd": round(deviation, 4),
                    "effective_sales": round(closed.effective_sales, 1),
                    "z": round(z, 2),
                    "baseline_sessions": len(base),
                    "transactions": closed.transactions,
                },
                evidence={
                    "session": {
                        "station": closed.station,
                        "session": closed.session,
                        "cash_cents": closed.cash_cents,
                        "total_cents": closed.total_cents,
                        "transactions": closed.transactions,
                        "first_ts": closed.first_ts,
                        "last_ts": closed.last_ts,
                        "employee": closed.employee,
                    },
                    "baseline_shares": base[-50:],
                },
                episode=f"{closed.station}|{closed.session}",
                extent=closed.transactions + len(base),
            )
        )
    return out


@rule(
    id="Q-TM-02",
    family=Family.TENDER,
    title="Tender swapped from card to cash after the fact",
    requires=("tenders.tender_type", "tenders.amount_cents"),
    optional=("audit_log.log_entry",),
    triggers=("transaction",),
    parameters=(
        Parameter(
            "min_swap_cents", 500, "Smallest amount moved from card to cash", 0, 10_000_000, unit="cents"
        ),
        Parameter(
            "swap_patterns",
            (
                "changed tender",
                "change tender",
                "tender changed",
                "payment changed",
                "changed payment",
                "changed pay code",
            ),
            "Audit-log text (lower case) that records a tender change (ASSUMPTION-Q-01)",
        ),
    ),
    allow_scopes=(Scope.EMPLOYEE, Scope.STATION, Scope.LOCATION),
    severity=Severity.HIGH,
)
def tender_swap(ctx: RuleContext) -> Iterable[Finding]:
    """A transaction first seen paid by card that a later version shows paid in cash (card money
    down, cash money up by at least the minimum), or whose audit log records a tender change ending
    in cash. The card payment was reversed and the cash can walk."""
    facts = ctx.facts
    txn = facts.transaction
    if txn is None:
        return []
    cash, card, _total = tender_split(facts)
    minimum = max(ctx.whole("min_swap_cents"), 1)
    prior = ctx.state.get("txn", txn.id)
    how = None
    if prior is not None and prior[6] < txn.version_key:
        card_drop, cash_rise = prior[5] - card, cash - prior[4]
        if card_drop >= minimum and cash_rise >= minimum:
            how = {
                "earlier_card_cents": prior[5],
                "earlier_cash_cents": prior[4],
                "moved_cents": min(card_drop, cash_rise),
            }
    if how is None and cash >= minimum:
        patterns = ctx.texts("swap_patterns")
        entries = [facts.audit_log[n] for n in audit_mentions(facts, patterns)]
        if entries:
            how = {"audit_entries": [e.seq for e in entries], "cash_cents": cash}
    if how is None:
        return []
    return [
        Finding(
            summary="card tender replaced by cash after the sale",
            subject=ctx.subject(),
            occurred_at=txn.occurred_at,
            entity_id=txn.id,
            measurements={**how, "card_cents": card, "cash_cents": cash},
            evidence={"transaction": txn, "tenders": facts.tenders, "audit_log": facts.audit_log},
            dedupe_key=f"{txn.id}|{txn.version_key}",
        )
    ]


@rule(
    id="Q-TM-03",
    family=Family.TENDER,
    title="Payment fragmentation",
    requires=("tenders.amount_cents", "tenders.tender_no"),
    optional=("tenders.card_fingerprint",),
    triggers=("transaction",),
    parameters=(
        Parameter("min_tenders", 3, "Tenders on one ticket that make it fragmented", 2, 50),
        Parameter(
            "min_total_cents", 5_000, "Smallest ticket total that counts", 0, 100_000_000, unit="cents"
        ),
    ),
    allow_scopes=(Scope.CUSTOMER, Scope.EMPLOYEE, Scope.STATION, Scope.LOCATION),
    severity=Severity.LOW,
)
def payment_fragmentation(ctx: RuleContext) -> Iterable[Finding]:
    """One ticket paid in many pieces (several cards, gift cards or a card split under a limit): at
    least the minimum number of tenders on a ticket of at least the minimum total. A ticket's tenders
    are gathered across its events (keyed on the tender number), because a vendor may deliver them
    one at a time (each Square ``payment.*`` webhook carries one); the ticket is reported once."""
    txn = ctx.facts.transaction
    if txn is None or txn.type not in ("SALE", "EXCHANGE"):
        return []
    held = ctx.memory.get(txn.id) or {"tenders": {}}
    tenders: dict[str, list[Any]] = dict(held["tenders"])
    for t in ctx.facts.tenders:
        tenders[t.tender_no] = [t.amount_cents, t.card_fingerprint, t.tender_type]
    if tenders != held["tenders"]:
        ctx.memory.put(txn.id, {"ts": ctx.facts.ts, "tenders": tenders})
    paid = {no: t for no, t in sorted(tenders.items()) if t[0] > 0}
    total = sum(t[0] for t in paid.values())
    if len(paid) < ctx.whole("min_tenders") or total < ctx.whole("min_total_cents"):
        return []
    cards = {t[1] for t in paid.values() if t[1]}
    here = [t for t in ctx.facts.tenders if t.tender_no in paid]
    return [
        Finding(
            summary=f"{len(paid)} tenders on one ticket of {money(total, txn.currency)}",
            subject=ctx.subject(),
            occurred_at=txn.occurred_at,
            entity_id=txn.id,
            measurements={
                "tenders": len(paid),
                "total_cents": total,
                "distinct_cards": len(cards),
                "tender_types": sorted({t[2] for t in paid.values()}),
                "tender_numbers": sorted(paid),
            },
            evidence={"transaction": txn, "tenders": here},
            dedupe_key=txn.id,
        )
    ]


RULES = (session_cash_share, tender_swap, payment_fragmentation)
