"""What every canonical record shares, and the vocabulary of sources.

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


class Source(StrEnum):
    SQUARE = "SQUARE"
    COUNTERPOINT = "COUNTERPOINT"


class SourceType(StrEnum):
    WEBHOOK = "WEBHOOK"
    POLLING = "POLLING"
    BATCH = "BATCH"
    PUSH = "PUSH"


def version_key(updated_at: datetime | None, version: int | None = None) -> str:
    """``YYYYmmddTHHMMSS.ffffffZ|000000000042``: sorts as (time, version). Missing parts sort lowest."""
    stamp = updated_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ") if updated_at else "0" * 23
    return f"{stamp}|{(version or 0):012d}"


def canonical_id(source: Source, kind: str, external_id: str) -> str:
    """Ids are namespaced so a Square payment and a Counterpoint ticket can never collide."""
    prefix = "sq" if source is Source.SQUARE else "cp"
    return f"{prefix}:{kind}:{external_id}"


class Canonical(SQLModel):
    """Base of every canonical record. ``natural_key`` names the fields that identify a row within a
    merchant; the storage layer upserts on (merchant_id, *natural_key)."""

    natural_key: ClassVar[tuple[str, ...]] = ("id",)
    version_key: str = ""
