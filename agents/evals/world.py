"""The world an evaluation runs on: one simulated merchant's Canary, and what the questions are about.

The questions name real ids of the world (its biggest customer, its busiest rule and employee), so
they are picked here from the tables, deterministically (largest first, ties by id). ``today`` is the
world's own last trading day: "this week" means the simulated week, whatever the wall clock says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import func, select

from agents.evals import truth
from core.bootstrap import Container
from core.db.tables.sales import TransactionRow as Transaction


@dataclass(frozen=True)
class EvalWorld:
    container: Container
    merchant_id: str
    today: datetime
    customer: str  # the customer with the largest net spend
    refunder: str | None  # the customer with the most refunded money, if anyone refunded
    card: str | None  # the most used card fingerprint
    rule: str  # the rule with the most detections
    employee: str | None  # the employee named on the most detections
    location: str | None  # the location with the most detections
    detection: str | None  # the busiest rule's first detection

    @classmethod
    def of(cls, container: Container, merchant_id: str) -> EvalWorld:
        with container.db.tenant(merchant_id) as session:
            latest = session.exec(
                select(func.max(Transaction.occurred_at)).where(Transaction.merchant_id == merchant_id)
            ).one()
            ranked = truth.customers_by_net_spend(session, merchant_id)
            if latest is None or not ranked:
                raise ValueError(f"merchant {merchant_id} has no trading to ask about")
            refunds = sorted(
                ((c, truth.spend(session, merchant_id, c).refunds_cents) for c, _ in ranked),
                key=lambda pair: (-pair[1], pair[0]),
            )
            card = truth.busiest_card(session, merchant_id)
            found = truth.detections(session, merchant_id)
        by_rule = truth.count_by(found, "rule_id")
        rule = _top(by_rule) or "Q-VR-03"
        first = sorted((d for d in found if d.rule_id == rule), key=lambda d: (d.occurred_at, d.id))
        return cls(
            container=container,
            merchant_id=merchant_id,
            today=latest,
            customer=ranked[0][0],
            refunder=refunds[0][0] if refunds and refunds[0][1] > 0 else None,
            card=card[0] if card else None,
            rule=rule,
            employee=_top(truth.count_by(found, "employee_id")),
            location=_top(truth.count_by(found, "location_id")),
            detection=first[0].id if first else None,
        )


def _top(counts: dict[str, int]) -> str | None:
    return min(counts, key=lambda k: (-counts[k], k)) if counts else None
