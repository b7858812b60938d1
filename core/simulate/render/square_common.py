"""Small pieces every Square object writer shares: Money, the card block, cash tendered, when a
tender was taken, and the POS application id payments carry."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from core.simulate.model import Payment, Ticket

Json = dict[str, Any]
APPLICATION_ID = "sq0idp-canarysimulatorpos0"


def money(cents: int) -> Json:
    return {"amount": cents, "currency": "USD"}


def paid_at(ticket: Ticket, payment: Payment) -> datetime:
    return ticket.closed_at - timedelta(seconds=8) + timedelta(seconds=payment.delay)


def tendered(amount: int) -> int:
    """Cash handed over: the next $5 (or $20 above $40)."""
    step = 2000 if amount > 4000 else 500
    return -(-amount // step) * step


def card(payment: Payment) -> Json:
    c = payment.card
    if c is None:
        return {"card_brand": "OTHER_BRAND"}
    return {
        "card_brand": c.brand,
        "last_4": c.last4,
        "exp_month": c.exp_month,
        "exp_year": c.exp_year,
        "fingerprint": c.fingerprint,
        "card_type": c.card_type,
        "prepaid_type": "NOT_PREPAID",
        "bin": c.bin,
    }
