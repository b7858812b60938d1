"""Ground truth for the evaluation set, read from the tables themselves.

The MCP tools answer through ``core.customers`` and ``core.rules.service``; the facts an answer is
graded on come from here instead — plain queries over the canonical and detection rows — so a tool
(or a service behind it) that reports a wrong figure makes its case fail rather than agree with
itself. Only where a figure *is* a definition of the service (segments, a dry run's replay) do the
cases call the service, and they say so.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlmodel import Session, select

from core.db.tables.customers import CardUse, Customer
from core.db.tables.rules import DetectionRow, RuleAuditRow
from core.db.tables.sales import TransactionRow as Transaction

COMPLETED = "COMPLETED"


@dataclass(frozen=True)
class Spend:
    gross_cents: int
    refunds_cents: int
    sales: int
    refunds: int

    @property
    def net_cents(self) -> int:
        return self.gross_cents - self.refunds_cents


def spend(session: Session, merchant_id: str, customer_id: str) -> Spend:
    rows = session.exec(
        select(Transaction.type, Transaction.amount_cents).where(
            Transaction.merchant_id == merchant_id,
            Transaction.customer_id == customer_id,
            Transaction.status == COMPLETED,
        )
    ).all()
    sales = [amount for kind, amount in rows if kind == "SALE"]
    refunds = [amount for kind, amount in rows if kind == "REFUND"]
    return Spend(sum(sales), sum(refunds), len(sales), len(refunds))


def customers_by_net_spend(session: Session, merchant_id: str) -> list[tuple[str, int]]:
    """(customer id, net spend) of every registry customer, largest first (ties by id)."""
    ids = session.exec(select(Customer.id).where(Customer.merchant_id == merchant_id)).all()
    ranked = [(c, spend(session, merchant_id, c).net_cents) for c in ids]
    return sorted(ranked, key=lambda pair: (-pair[1], pair[0]))


def detections(session: Session, merchant_id: str) -> list[DetectionRow]:
    return list(session.exec(select(DetectionRow).where(DetectionRow.merchant_id == merchant_id)).all())


def count_by(rows: list[DetectionRow], field: str) -> Counter[str]:
    return Counter(str(getattr(r, field)) for r in rows if getattr(r, field) is not None)


def busiest_card(session: Session, merchant_id: str) -> tuple[str, set[str]] | None:
    """The card fingerprint with the most uses, and the customers named on transactions it paid."""
    uses = session.exec(
        select(CardUse).where(CardUse.merchant_id == merchant_id, CardUse.fingerprint.is_not(None))  # type: ignore[union-attr]
    ).all()
    if not uses:
        return None
    counts = Counter(str(u.fingerprint) for u in uses)
    fingerprint = min(counts, key=lambda f: (-counts[f], f))
    return fingerprint, {u.customer_id for u in uses if u.fingerprint == fingerprint and u.customer_id}


def audit_entries(session: Session, merchant_id: str) -> list[RuleAuditRow]:
    return list(session.exec(select(RuleAuditRow).where(RuleAuditRow.merchant_id == merchant_id)).all())
