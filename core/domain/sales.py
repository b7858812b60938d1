"""Canonical sales records (the ``sales`` schema): one model that Square and Counterpoint both map to.

Money is integer minor units (``*_cents``) in ``currency``; quantities are floats (weights exist);
times are aware UTC. POSLog names are noted where they differ (RetailTransaction, Tender, …).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from sqlmodel import Field

from core.domain.columns import UTCDateTime
from core.domain.records import Canonical


class TransactionType(StrEnum):
    SALE = "SALE"
    REFUND = "REFUND"
    VOID = "VOID"
    POST_VOID = "POST_VOID"
    NO_SALE = "NO_SALE"
    PAID_IN = "PAID_IN"
    PAID_OUT = "PAID_OUT"
    EXCHANGE = "EXCHANGE"


class Transaction(Canonical):
    """A RetailTransaction or ControlTransaction. For Square a sale is keyed on its order (the
    payments are its tenders); a payment without an order stands alone. For Counterpoint it is a
    document (ticket) keyed on DOC_GUID."""

    id: str = Field(primary_key=True, max_length=160)
    type: str = Field(max_length=16, index=True)  # TransactionType
    status: str = Field(default="COMPLETED", max_length=32)
    source: str = Field(max_length=16)
    source_type: str = Field(max_length=16)
    external_id: str = Field(max_length=128)
    order_id: str | None = Field(default=None, max_length=160)
    ticket_number: str | None = Field(default=None, max_length=64)
    location_id: str | None = Field(default=None, max_length=128, index=True)
    device_id: str | None = Field(default=None, max_length=128)
    employee_id: str | None = Field(default=None, max_length=128, index=True)
    customer_id: str | None = Field(default=None, max_length=160, index=True)
    drawer_session_id: str | None = Field(default=None, max_length=160)
    currency: str = Field(default="USD", max_length=3)
    amount_cents: int = 0  # total the customer paid (sale) or got back (refund), tax included
    subtotal_cents: int | None = None
    tax_cents: int | None = None
    discount_cents: int | None = None
    tip_cents: int | None = None
    reason: str | None = Field(default=None, max_length=500)
    occurred_at: datetime = Field(sa_type=UTCDateTime, index=True)
    local_occurred_at: str | None = Field(default=None, max_length=32)  # wall clock, for hour-of-day rules
    committed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LineItem(Canonical):
    natural_key: ClassVar[tuple[str, ...]] = ("transaction_id", "line_no")

    transaction_id: str = Field(primary_key=True, max_length=160)
    line_no: str = Field(primary_key=True, max_length=64)  # vendor line uid or sequence number
    line_type: str = Field(default="SALE", max_length=16)  # SALE | RETURN | ORDER | LAYAWAY | …
    item_id: str | None = Field(default=None, max_length=128)
    category_id: str | None = Field(default=None, max_length=64)
    description: str | None = Field(default=None, max_length=200)
    quantity: float = 1.0
    unit_price_cents: int = 0  # price charged per unit
    regular_price_cents: int | None = None  # list price before override/discount
    unit_cost_cents: int | None = None
    extended_price_cents: int = 0
    extended_cost_cents: int | None = None
    discount_cents: int = 0
    price_overridden: bool = False
    override_reason: str | None = Field(default=None, max_length=64)
    mix_match_code: str | None = Field(default=None, max_length=32)
    discountable: bool | None = None
    source_line_ref: str | None = Field(default=None, max_length=160)  # a return line's original line
    validated_return: bool | None = None  # the return was validated against its original (Q-VR-02)
    item_type: str | None = Field(default=None, max_length=16)  # vendor item type (non-inventory lines)
    tax_cents: int | None = None
    taxable: bool | None = None
    user_entered_price: bool | None = None


class Tender(Canonical):
    natural_key: ClassVar[tuple[str, ...]] = ("transaction_id", "tender_no")

    transaction_id: str = Field(primary_key=True, max_length=160)
    tender_no: str = Field(primary_key=True, max_length=128)  # vendor payment id or sequence
    tender_type: str = Field(max_length=24)  # CASH | CARD | DEBIT | GIFT_CARD | CHECK | STORE_CREDIT | …
    pay_code: str | None = Field(default=None, max_length=32)
    status: str = Field(default="COMPLETED", max_length=32)
    amount_cents: int = 0
    tip_cents: int = 0
    currency: str = Field(default="USD", max_length=3)
    card_fingerprint: str | None = Field(default=None, max_length=128, index=True)
    card_brand: str | None = Field(default=None, max_length=32)
    entry_method: str | None = Field(
        default=None, max_length=24
    )  # SWIPED | KEYED | EMV | CONTACTLESS | ON_FILE
    new_card: bool | None = None
    authorized: bool | None = None
    employee_id: str | None = Field(default=None, max_length=128)
    device_id: str | None = Field(default=None, max_length=128)
    occurred_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    final_payment: bool | None = None  # False for an order deposit


class RefundLink(Canonical):
    """A refund or return and the sale it gives money back for."""

    natural_key: ClassVar[tuple[str, ...]] = ("refund_transaction_id",)

    refund_transaction_id: str = Field(primary_key=True, max_length=160)
    original_transaction_id: str | None = Field(default=None, max_length=160, index=True)
    original_payment_id: str | None = Field(default=None, max_length=128)
    original_order_id: str | None = Field(default=None, max_length=128)
    reason: str | None = Field(default=None, max_length=500)


class DrawerShift(Canonical):
    """A cash drawer session: Square CashDrawerShift, Counterpoint drawer session."""

    id: str = Field(primary_key=True, max_length=160)
    source: str = Field(max_length=16)
    external_id: str = Field(max_length=128)
    location_id: str | None = Field(default=None, max_length=128)
    device_id: str | None = Field(default=None, max_length=128)
    state: str = Field(max_length=16)  # OPEN | ENDED | CLOSED
    opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    opening_employee_id: str | None = Field(default=None, max_length=128)
    closing_employee_id: str | None = Field(default=None, max_length=128)
    currency: str = Field(default="USD", max_length=3)
    opened_cash_cents: int = 0
    cash_payments_cents: int = 0
    cash_refunds_cents: int = 0
    paid_in_cents: int = 0
    paid_out_cents: int = 0
    expected_cash_cents: int | None = None
    counted_cash_cents: int | None = None  # closed_cash_money: what was counted at close
    reactivated: bool = False


class DrawerEvent(Canonical):
    id: str = Field(primary_key=True, max_length=160)
    shift_id: str = Field(max_length=160, index=True)
    event_type: str = Field(max_length=48)  # vendor type, e.g. NO_SALE, PAID_IN, CASH_TENDER_PAYMENT
    amount_cents: int = 0  # always >= 0; the sign comes from event_type
    currency: str = Field(default="USD", max_length=3)
    employee_id: str | None = Field(default=None, max_length=128)
    description: str | None = Field(default=None, max_length=500)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
