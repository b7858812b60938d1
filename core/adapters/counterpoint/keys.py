"""Canonical ids for Counterpoint things, and the store look-ups a parse needs.

Ids follow ``canonical_id`` and name the canonical table: ``cp:location:<STR_ID>`` is the id
onboarding gives a Counterpoint store (core/tenancy.py), so ``Transaction.location_id`` joins
``locations`` and ``store_configs``. Station, drawer-session and document numbers are only unique
within a store (the same DOC_ID appears in two stores), so they carry the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.adapters.counterpoint.fields import Row
from core.domain.parsing import ParseContext, ParseError
from core.domain.records import Vendor, canonical_id

CP = Vendor.COUNTERPOINT


def location_id(store_id: str) -> str:
    return canonical_id(CP, "location", store_id)


def device_id(store_id: str, station_id: str) -> str:
    return canonical_id(CP, "device", f"{store_id}/{station_id}")


def employee_id(user_id: str) -> str:
    return canonical_id(CP, "employee", user_id)


def customer_id(customer_no: str) -> str:
    return canonical_id(CP, "customer", customer_no)


def drawer_session_id(store_id: str, session: str) -> str:
    return canonical_id(CP, "drawer_session", f"{store_id}/{session}")


def category_id(category_code: str) -> str:
    return canonical_id(CP, "category", category_code)


def normal_guid(value: str | None) -> str | None:
    """The API sends 32 hex digits; SQL exports send a uniqueidentifier with hyphens and capitals.
    Both must key the same document."""
    if value is None:
        return None
    return value.strip("{} ").replace("-", "").lower() or None


def document_external_id(doc_guid: str | None, store_id: str, doc_id: str | None, *, field: str) -> str:
    """DOC_GUID when present; otherwise STR_ID:DOC_ID (a GUID has no colon, so the two never meet)."""
    if doc_guid:
        return doc_guid
    if doc_id:
        return f"{store_id}:{doc_id}"
    raise ParseError("a document needs DOC_GUID or DOC_ID to be keyed", field=field)


def document_id(external_id: str) -> str:
    return canonical_id(CP, "doc", external_id)


@runtime_checkable
class CounterpointLookups(Protocol):
    """What a Counterpoint parse may ask of the merchant's configuration, passed as ``ctx.fetch``
    until ParseContext grows these capabilities (see docs/counterpoint.md)."""

    def known_store(self, store_id: str) -> bool: ...

    def document_id(self, store_id: str, doc_id: str) -> str | None:
        """The canonical id of an already-seen document, to resolve an ORIG_DOC_ID reference."""
        ...


@dataclass(frozen=True)
class KnownStores:
    """A plain ``CounterpointLookups``: the merchant's store ids and, optionally, documents seen."""

    store_ids: frozenset[str]
    documents: Mapping[tuple[str, str], str] = field(default_factory=dict)

    def known_store(self, store_id: str) -> bool:
        return store_id in self.store_ids

    def document_id(self, store_id: str, doc_id: str) -> str | None:
        return self.documents.get((store_id, doc_id))


@dataclass(frozen=True)
class _ContextLookups:
    """The pipeline's capabilities on ParseContext, seen as ``CounterpointLookups``."""

    ctx: ParseContext

    def known_store(self, store_id: str) -> bool:
        return self.ctx.known_store is None or self.ctx.known_store(store_id)

    def document_id(self, store_id: str, doc_id: str) -> str | None:
        return self.ctx.resolve_document(store_id, doc_id) if self.ctx.resolve_document else None


def lookups(ctx: ParseContext) -> CounterpointLookups | None:
    if ctx.known_store is not None or ctx.resolve_document is not None:
        return _ContextLookups(ctx)
    return ctx.fetch if isinstance(ctx.fetch, CounterpointLookups) else None


def store_zone(ctx: ParseContext, row: Row, key: str = "STR_ID") -> tuple[str, ZoneInfo]:
    """The row's store id, checked against the merchant's stores, and the store's time zone. An
    unknown store is a parse failure (fixable by onboarding the store, then ``canary replay``)."""
    store = row.require_text(key)
    known = lookups(ctx)
    if known is not None and not known.known_store(store):
        raise ParseError(f"unknown store {store!r}", field=row.field(key))
    try:
        name = ctx.location_timezone(store)
    except KeyError:
        raise ParseError(f"unknown store {store!r}", field=row.field(key)) from None
    try:
        return store, ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ParseError(f"store {store!r} has an invalid time zone {name!r}", field=row.field(key)) from None
