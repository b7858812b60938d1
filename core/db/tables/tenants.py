"""Tenant basics (app schema): merchants, their keys, and the places, devices and people events name."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from core.db.base import APP, TenantKey, TenantRow, utcnow
from core.domain.columns import Bytes, UTCDateTime
from core.domain.parties import DeviceRecord, EmployeeRecord, LocationRecord


class Merchant(SQLModel, table=True):
    """The tenant. ``status`` becomes ``revoked`` when the vendor withdraws our authorisation; ingress
    then refuses that merchant's events."""

    __tablename__ = "merchants"
    __table_args__ = (UniqueConstraint("square_merchant_id"), {"schema": APP})

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    status: str = Field(default="active", max_length=16)  # active | revoked
    default_timezone: str = Field(default="UTC", max_length=64)
    # Square routing: the vendor's merchant id and the exact notification URL the signature covers.
    square_merchant_id: str | None = Field(default=None, max_length=64)
    square_notification_url: str | None = Field(default=None, max_length=2_000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MerchantKey(TenantKey, table=True):
    """Per-merchant secrets, each wrapped (AES-GCM) by the master key. ``purpose`` is ``data``
    (payload encryption), ``pii`` (keyed HMAC of contact details), ``square_signature`` or
    ``counterpoint_push``. Destroying the ``data`` key crypto-shreds the merchant's raw payloads
    while the hash chain, which holds only hashes, still verifies."""

    __tablename__ = "merchant_keys"
    __table_args__ = {"schema": APP}

    purpose: str = Field(primary_key=True, max_length=32)
    version: int = Field(default=1, primary_key=True)
    wrapped_key: bytes | None = Field(default=None, sa_type=Bytes)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    destroyed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Location(LocationRecord, TenantRow, table=True):
    __tablename__ = "locations"
    __table_args__ = {"schema": APP}


class Device(DeviceRecord, TenantRow, table=True):
    __tablename__ = "devices"
    __table_args__ = {"schema": APP}


class Employee(EmployeeRecord, TenantRow, table=True):
    __tablename__ = "employees"
    __table_args__ = {"schema": APP}
