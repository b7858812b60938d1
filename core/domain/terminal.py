"""Requests sent to a payment terminal (``sales`` schema): checkouts, refunds and other actions pushed
to a Square Terminal by an application.

They are not money movements (the payment or refund they lead to arrives on its own), but they tie a
device to an amount, a card and a moment, which is what the device anomaly model and card velocity
checks look at. A SAVE_CARD action on a terminal, for instance, stores a card against a customer.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field

from core.domain.columns import UTCDateTime
from core.domain.records import Canonical


class TerminalActivityKind(StrEnum):
    CHECKOUT = "CHECKOUT"
    REFUND = "REFUND"
    ACTION = "ACTION"


class TerminalActivity(Canonical):
    id: str = Field(primary_key=True, max_length=160)
    source: str = Field(max_length=16)
    external_id: str = Field(max_length=128)
    kind: str = Field(max_length=16)  # TerminalActivityKind
    action_type: str | None = Field(default=None, max_length=32)  # an action's type, e.g. SAVE_CARD
    status: str = Field(max_length=32)  # PENDING | IN_PROGRESS | CANCEL_REQUESTED | CANCELED | COMPLETED
    amount_cents: int | None = None
    currency: str = Field(default="USD", max_length=3)
    device_id: str | None = Field(default=None, max_length=128, index=True)
    location_id: str | None = Field(default=None, max_length=128)
    payment_ids: str = Field(default="", max_length=2_000)  # comma-separated vendor payment ids
    order_id: str | None = Field(default=None, max_length=128)
    customer_id: str | None = Field(default=None, max_length=160)
    card_fingerprint: str | None = Field(default=None, max_length=128, index=True)
    reason: str | None = Field(default=None, max_length=500)
    occurred_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
