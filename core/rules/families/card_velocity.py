"""Card velocity (C-005, from R): one card fingerprint used by many customers or at many locations
in a short window. Square-native: Counterpoint keeps no card fingerprint."""

from __future__ import annotations

from collections.abc import Iterable

from core.rules.context import RuleContext
from core.rules.model import Family, Finding, Parameter, Scope, Severity, Substrate, rule

HOUR = 3600.0


@rule(
    id="C-005",
    family=Family.CARD_VELOCITY,
    title="Card fingerprint velocity across customers or locations",
    requires=("tenders.card_fingerprint", "transaction.customer_id|transaction.location_id"),
    triggers=("transaction",),
    parameters=(
        Parameter("window_hours", 24, "Window the uses are counted in", 1, 168, unit="hours"),
        Parameter("max_customers", 3, "Distinct customers on one card that fire", 2, 50),
        Parameter("max_locations", 3, "Distinct locations for one card that fire", 2, 50),
    ),
    allow_scopes=(Scope.CUSTOMER, Scope.LOCATION),
    severity=Severity.HIGH,
    substrates=(Substrate.SQUARE,),
)
def card_velocity(ctx: RuleContext) -> Iterable[Finding]:
    """One card (by the vendor's opaque fingerprint) used by at least the maximum number of distinct
    customers, or at the maximum number of distinct locations, within the window: shared or
    tested stolen cards. Fires again each time the count grows."""
    facts = ctx.facts
    txn = facts.transaction
    if txn is None:
        return []
    window = ctx.whole("window_hours") * HOUR
    out = []
    for fingerprint in sorted({t.card_fingerprint for t in facts.tenders if t.card_fingerprint}):
        rows = [
            r
            for r in ctx.state.get("cards", fingerprint) or []
            if r[3] != txn.id and 0 <= facts.ts - r[0] <= window
        ]
        rows.append([facts.ts, txn.customer_id, txn.location_id, txn.id])
        customers = sorted({r[1] for r in rows if r[1]})
        locations = sorted({r[2] for r in rows if r[2]})
        if len(customers) < ctx.whole("max_customers") and len(locations) < ctx.whole("max_locations"):
            continue
        out.append(
            Finding(
                summary=f"card used by {len(customers)} customers at {len(locations)} locations within "
                f"{ctx.whole('window_hours')} h",
                subject=ctx.subject([]),
                occurred_at=txn.occurred_at,
                entity_id=fingerprint,
                measurements={"customers": len(customers), "locations": len(locations), "uses": len(rows)},
                evidence={
                    "uses": [
                        {"at": r[0], "customer_id": r[1], "location_id": r[2], "transaction_id": r[3]}
                        for r in rows
                    ],
                    "tenders": [t for t in facts.tenders if t.card_fingerprint == fingerprint],
                },
                dedupe_key=f"{fingerprint}|{len(customers)}|{len(locations)}",
                bundle_key=f"C-005|{fingerprint}",
            )
        )
    return out


RULES = (card_velocity,)
