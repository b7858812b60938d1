"""What every canonical record shares, and the vocabulary of vendors.

Canonical records are SQLModel classes *without* a table: plain pydantic models that the pure parsers
produce and the rules read. ``core.db.tables`` subclasses each one with ``table=True`` and adds the
tenant and evidence columns, so a field is declared once. (Importing sqlmodel here does no I/O; it is
the pydantic flavour that lets the table class inherit the fields.)

Upserts only move forward: each record carries ``version_key``, an order-preserving string built by
``version_key()`` from the vendor's own updated-at time and version number. A redelivered or
out-of-order older payload compares lower and changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import ClassVar

from sqlmodel import SQLModel


class UnknownVendorError(ValueError):
    """A name that is no vendor Canary reads; the message lists the ones it does."""


class Vendor(StrEnum):
    """The point-of-sale systems Canary reads: the one enum for them. The value is how an event and
    the ledger name the vendor (``SQUARE``); ``slug`` is how the rule catalog, the simulator and the
    CLI write it (``square``); ``id_prefix`` namespaces its canonical ids (``sq:…``)."""

    SQUARE = "SQUARE"
    COUNTERPOINT = "COUNTERPOINT"

    @property
    def slug(self) -> str:
        return self.value.lower()

    @property
    def id_prefix(self) -> str:
        return ID_PREFIX[self]

    @classmethod
    def named(cls, name: str) -> Vendor:
        """The vendor written either way (``SQUARE`` or ``square``)."""
        try:
            return cls(name.upper())
        except ValueError:
            choices = ", ".join(v.slug for v in cls)
            raise UnknownVendorError(f"unknown vendor {name!r}: Canary reads {choices}") from None

    @classmethod
    def of_id(cls, canonical: str) -> Vendor | None:
        """The vendor whose prefix a canonical id carries (``sq:customer:ABC`` → SQUARE), or None."""
        prefix = canonical.partition(":")[0]
        return next((v for v, p in ID_PREFIX.items() if p == prefix), None)


# Every vendor's own prefix, stated, never inferred: a vendor added to ``Vendor`` without one here
# cannot build a canonical id (``canonical_id`` says so) instead of borrowing another's namespace.
ID_PREFIX: dict[Vendor, str] = {Vendor.SQUARE: "sq", Vendor.COUNTERPOINT: "cp"}


class SourceType(StrEnum):
    WEBHOOK = "WEBHOOK"
    POLLING = "POLLING"
    BATCH = "BATCH"
    PUSH = "PUSH"


def version_key(updated_at: datetime | None, version: int | None = None) -> str:
    """``YYYYmmddTHHMMSS.ffffffZ|000000000042``: sorts as (time, version). Missing parts sort lowest."""
    stamp = updated_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ") if updated_at else "0" * 23
    return f"{stamp}|{(version or 0):012d}"


def canonical_id(vendor: Vendor, kind: str, external_id: str) -> str:
    """Ids are namespaced by vendor so a Square payment and a Counterpoint ticket can never collide."""
    prefix = ID_PREFIX.get(vendor) if isinstance(vendor, Vendor) else None
    if prefix is None:
        known = ", ".join(f"{v.value} ({p}:)" for v, p in ID_PREFIX.items())
        raise UnknownVendorError(f"no canonical id prefix for vendor {vendor!r}: known are {known}")
    return f"{prefix}:{kind}:{external_id}"


class Canonical(SQLModel):
    """Base of every canonical record. ``natural_key`` names the fields that identify a row within a
    merchant; the storage layer upserts on (merchant_id, *natural_key)."""

    natural_key: ClassVar[tuple[str, ...]] = ("id",)
    version_key: str = ""
