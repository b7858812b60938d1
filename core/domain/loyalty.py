"""Loyalty accounts (``app`` schema) and the point movements on them (``sales`` schema).

The account's phone number is the buyer's identity in Square Loyalty; it is never stored. It becomes
``phone_hmac``, the merchant's keyed HMAC of the normalised number (the same value a
``ContactFingerprint`` of kind ``phone`` holds), so an account can be matched to a customer, or two
accounts to one phone, without the number itself.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from core.domain.columns import UTCDateTime
from core.domain.records import Canonical


class LoyaltyAccount(Canonical):
    id: str = Field(primary_key=True, max_length=160)
    source: str = Field(max_length=16)
    external_id: str = Field(max_length=128)
    program_id: str | None = Field(default=None, max_length=64)
    customer_id: str | None = Field(default=None, max_length=160, index=True)
    phone_hmac: str | None = Field(default=None, max_length=64, index=True)
    balance: int = 0
    lifetime_points: int = 0
    status: str = Field(default="ACTIVE", max_length=16)  # ACTIVE | DELETED
    enrolled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LoyaltyEvent(Canonical):
    """One movement of points. ``points`` is as the vendor reports it (Square reports rewards and
    expiries as positive numbers); ``balance_delta`` is its signed effect on the balance, which is what
    a rule comparing earned and spent points needs."""

    id: str = Field(primary_key=True, max_length=160)
    source: str = Field(max_length=16)
    external_id: str = Field(max_length=128)
    # ACCUMULATE_POINTS | CREATE_REWARD | REDEEM_REWARD | DELETE_REWARD | ADJUST_POINTS | EXPIRE_POINTS |
    # OTHER | ACCUMULATE_PROMOTION_POINTS
    event_type: str = Field(max_length=40, index=True)
    event_source: str | None = Field(default=None, max_length=16)  # SQUARE (POS) | LOYALTY_API
    points: int | None = None
    balance_delta: int | None = None
    loyalty_account_id: str | None = Field(default=None, max_length=160, index=True)
    program_id: str | None = Field(default=None, max_length=64)
    transaction_id: str | None = Field(default=None, max_length=160)  # the order that earned or redeemed
    reward_id: str | None = Field(default=None, max_length=64)
    reason: str | None = Field(default=None, max_length=200)  # a manual adjustment's stated reason
    location_id: str | None = Field(default=None, max_length=128)
    occurred_at: datetime = Field(sa_type=UTCDateTime, index=True)
