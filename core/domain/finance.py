"""Money movements beside the till (``sales`` schema): payouts to the seller's bank and card disputes.

Neither is a sale, but both matter to loss prevention: a dispute is a chargeback against one payment
(``payment_id`` joins ``transaction_tenders.tender_no``), and a failed or unusual payout is the last
place money can go missing. Amounts are unsigned integer minor units, like ``Transaction``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field

from core.domain.columns import UTCDateTime
from core.domain.records import Canonical


class Payout(Canonical):
    """Square Payout: what was sent to the seller's bank account or Square balance."""

    id: str = Field(primary_key=True, max_length=160)
    source: str = Field(max_length=16)
    external_id: str = Field(max_length=128)
    status: str = Field(max_length=16)  # SENT | PAID | FAILED
    payout_type: str | None = Field(default=None, max_length=16)  # BATCH | SIMPLE
    location_id: str | None = Field(default=None, max_length=128, index=True)
    amount_cents: int = 0
    currency: str = Field(default="USD", max_length=3)
    # Only the kind of destination (BANK_ACCOUNT, CARD, SQUARE_BALANCE): account ids stay with Square.
    destination_type: str | None = Field(default=None, max_length=32)
    arrival_date: date | None = None
    created_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Dispute(Canonical):
    """A chargeback the cardholder opened with their bank, and where it stands."""

    id: str = Field(primary_key=True, max_length=160)
    source: str = Field(max_length=16)
    external_id: str = Field(max_length=128)
    # INQUIRY_EVIDENCE_REQUIRED | INQUIRY_PROCESSING | INQUIRY_CLOSED | EVIDENCE_REQUIRED | PROCESSING |
    # WON | LOST | ACCEPTED
    state: str = Field(max_length=32, index=True)
    reason: str | None = Field(default=None, max_length=40)  # AMOUNT_DIFFERS, NO_KNOWLEDGE, …
    amount_cents: int = 0
    currency: str = Field(default="USD", max_length=3)
    card_brand: str | None = Field(default=None, max_length=32)
    payment_id: str | None = Field(default=None, max_length=128, index=True)  # the vendor payment disputed
    location_id: str | None = Field(default=None, max_length=128, index=True)
    evidence_count: int | None = None  # only the deprecated events list evidence ids
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reported_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
