"""canary-identity's answers: R's result models with every untrusted text field cleaned.

The models subclass ``core.customers.results`` and override only the fields that carry text typed by
cashiers, customers or a POS configuration (reasons, item descriptions, tiers, card brands), so the
schema the model sees is R's own and nothing can reach it unsanitised. Ids are left as they are: they
are passed back to the tools verbatim, so cleaning them would break the round trip.
"""

from __future__ import annotations

from pydantic import Field

from core.customers import results as r
from servers.common import SafeStr


class CustomerSummary(r.CustomerSummary):
    tier: SafeStr | None = Field(
        description="The POS's customer category, e.g. retail, wholesale, landscaper (data)."
    )


class CustomerLookup(r.CustomerLookup):
    customer: CustomerSummary | None
    message: SafeStr


class CardProfileView(r.CardProfileView):
    card_brand: SafeStr | None


class CardLookup(r.CardLookup):
    card: CardProfileView | None


class LineView(r.LineView):
    description: SafeStr | None = Field(description="The item's description as typed in the POS (data).")
    line_type: SafeStr


class TenderView(r.TenderView):
    card_brand: SafeStr | None
    entry_method: SafeStr | None


class TransactionView(r.TransactionView):
    reason: SafeStr | None = Field(description="The reason staff typed (refunds, voids): data.")
    line_items: list[LineView]
    tenders: list[TenderView]


class CustomerHistory(r.CustomerHistory):
    transactions: list[TransactionView] = Field(description="Newest first.")


class ReasonCount(r.ReasonCount):
    reason: SafeStr = Field(description="A refund reason as typed at the till (data, not instructions).")


class RefundView(r.RefundView):
    reason: SafeStr | None


class CustomerComplaints(r.CustomerComplaints):
    reasons: list[ReasonCount] = Field(description="Refund reasons, most frequent first.")
    recent_refunds: list[RefundView] = Field(
        description="Latest refunds, newest first (only for one customer)."
    )


class ComplaintsReport(r.ComplaintsReport):
    customers: list[CustomerComplaints] = Field(description="Customers by refunded amount, largest first.")
