"""Canonical people, places and things (the ``app`` schema): stores, devices, employees, customers.

No personal data in clear: customers carry no name, email, phone, address or birthdate columns.
Contact details that arrive in payloads become keyed HMACs (``ContactFingerprint``), so two records
of the same phone number can be matched without the number being stored or brute-forced.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlmodel import Field

from core.domain.columns import UTCDateTime
from core.domain.records import Canonical


class LocationRecord(Canonical):
    id: str = Field(primary_key=True, max_length=128)
    source: str = Field(max_length=16)
    external_id: str = Field(max_length=128)
    name: str | None = Field(default=None, max_length=200)
    timezone: str = Field(default="UTC", max_length=64)
    status: str | None = Field(default=None, max_length=32)


class DeviceRecord(Canonical):
    """A till, terminal or station (N)."""

    id: str = Field(primary_key=True, max_length=128)
    source: str = Field(max_length=16)
    external_id: str = Field(max_length=128)
    location_id: str | None = Field(default=None, max_length=128)
    name: str | None = Field(default=None, max_length=200)
    kind: str | None = Field(default=None, max_length=32)
    status: str | None = Field(default=None, max_length=32)


class EmployeeRecord(Canonical):
    """A team member; rules and tools speak of employee ids, so names are not kept."""

    id: str = Field(primary_key=True, max_length=128)
    source: str = Field(max_length=16)
    external_id: str = Field(max_length=128)
    status: str | None = Field(default=None, max_length=32)
    is_owner: bool = False
    location_ids: str = Field(default="", max_length=2_000)  # comma-separated


class CustomerRecord(Canonical):
    """One customer per (merchant, vendor customer id). ``tier`` is the vendor's category or group
    (retail, wholesale, landscaper …); ``db_status`` is ``active`` or ``archived`` (soft delete)."""

    id: str = Field(primary_key=True, max_length=160)
    source: str = Field(max_length=16)
    external_id: str = Field(max_length=128, index=True)
    tier: str | None = Field(default=None, max_length=64)
    tax_exempt: bool | None = None
    credit_limit_cents: int | None = None
    no_credit_limit: bool | None = None  # unlimited credit, distinct from an unknown limit
    credit_rating: str | None = Field(default=None, max_length=16)
    ar_balance_cents: int | None = None
    creation_source: str | None = Field(default=None, max_length=64)
    vendor_created_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    db_status: str = Field(default="active", max_length=16)


class ContactFingerprint(Canonical):
    """Keyed HMAC-SHA256 (per-merchant secret) of a normalised phone number or email address."""

    natural_key: ClassVar[tuple[str, ...]] = ("customer_id", "kind")

    customer_id: str = Field(primary_key=True, max_length=160)
    kind: str = Field(primary_key=True, max_length=16)  # phone | email
    hmac: str = Field(max_length=64, index=True)
