"""Customers (R) in the app schema: the registry and its projections, all keyed by tenant.

- ``customers``: one row per (merchant, vendor customer id) — the vendor's record as T parsed it, plus
  R's projection columns (lifetime value, counts, first/last seen) and soft-delete with effective
  dating. No name, email, phone, address, birthdate or segment column, ever: a test reads the schema.
- ``contact_fingerprints``: keyed HMACs of contact details (T writes them; R deletes them on forget).
- ``customer_transactions``: what each transaction contributes to its customer, as the projection
  last saw it (the unit the aggregates are recomputed from, so an updated or re-attributed
  transaction moves its money instead of counting it twice).
- ``customer_evidence``: every evidence seq whose parsed event named the customer, so the right to
  be forgotten erases older versions of a payload too, not only the one that last wrote a row.
- ``card_uses`` / ``card_profiles``: opaque vendor card fingerprints per tender, and per fingerprint
  the aggregates the card-velocity rule (C-005) reads.
- ``external_identities``: the tenant-scoped, soft-deletable link table for cross-vendor identity
  (a scaffold: no matching policy writes it yet).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field

from core.db.base import APP, TenantKey, TenantRow, utcnow
from core.domain.columns import UTCDateTime
from core.domain.parties import ContactFingerprint, CustomerRecord


class Customer(CustomerRecord, TenantRow, table=True):
    """The registry row. ``CustomerRecord`` fields come from the vendor via T; the columns below are
    R's. ``valid_from``/``archived_at`` date the current activation; ``forgotten_at`` marks a row whose
    vendor id was replaced by a tombstone under the right to be forgotten."""

    __tablename__ = "customers"
    __table_args__ = (
        Index("ix_customers_merchant_external", "merchant_id", "external_id"),
        # customer_complaints' ranked list (refunds_cents DESC, id DESC): a backward scan, LIMIT n.
        Index("ix_customers_complaints_rank", "merchant_id", "refunds_cents", "id"),
        # customer_segments' counts: one index-only pass over the active customers' dates and
        # purchases, on an index narrow enough that the pass reads a fraction of the table's pages.
        Index(
            "ix_customers_segment_counts",
            "merchant_id",
            "db_status",
            "first_seen_at",
            "last_seen_at",
            "transaction_count",
        ),
        # customer_segments' members page: a backward scan in last_seen order that filters and
        # returns from the index alone (the columns a member shows are included).
        Index(
            "ix_customers_segments",
            "merchant_id",
            "db_status",
            "last_seen_at",
            "id",
            postgresql_include=[
                "first_seen_at",
                "transaction_count",
                "lifetime_value_net_cents",
                "currency",
            ],
        ),
        {"schema": APP},
    )

    # Projection (R): recomputed from customer_transactions; see docs/customers.md for what counts.
    lifetime_value_cents: int = 0  # gross: completed SALE amounts
    lifetime_value_net_cents: int = 0  # gross minus completed REFUND amounts
    refunds_cents: int = 0
    transaction_count: int = 0  # completed SALE transactions
    refund_count: int = 0  # completed REFUND transactions
    currency: str | None = Field(default=None, max_length=3)  # "XXX" when the sums mix currencies
    first_seen_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_seen_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Soft delete with effective dating (db_status lives on CustomerRecord).
    valid_from: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    archived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    forgotten_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Audit.
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ContactFingerprintRow(ContactFingerprint, TenantRow, table=True):
    __tablename__ = "contact_fingerprints"
    __table_args__ = {"schema": APP}


class CustomerTransaction(TenantKey, table=True):
    """Every transaction as R last saw it (forward-only in the vendor's version): whom it names — no one
    for an anonymous sale — and what it contributes. The projection recomputes customers from these."""

    __tablename__ = "customer_transactions"
    __table_args__ = (
        Index(
            "ix_customer_transactions_customer", "merchant_id", "customer_id", "occurred_at", "transaction_id"
        ),
        {"schema": APP},
    )

    transaction_id: str = Field(primary_key=True, max_length=160)
    customer_id: str | None = Field(default=None, max_length=160)
    type: str = Field(max_length=16)
    status: str = Field(max_length=32)
    amount_cents: int = 0
    currency: str = Field(max_length=3)
    location_id: str | None = Field(default=None, max_length=128)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    version_key: str = ""
    evidence_seq: int | None = None


class CustomerEvidence(TenantKey, table=True):
    """An evidence seq whose parsed event named the customer (an index for the right to be forgotten)."""

    __tablename__ = "customer_evidence"
    __table_args__ = {"schema": APP}

    customer_id: str = Field(primary_key=True, max_length=160)
    seq: int = Field(primary_key=True)


class CardUse(TenantKey, table=True):
    """Every tender as R last saw it (forward-only in the vendor's version), with its card fingerprint
    — none for cash — and its transaction's current customer, location and time."""

    __tablename__ = "card_uses"
    __table_args__ = (
        Index("ix_card_uses_fingerprint", "merchant_id", "fingerprint", "customer_id"),
        Index("ix_card_uses_customer", "merchant_id", "customer_id"),
        {"schema": APP},
    )

    transaction_id: str = Field(primary_key=True, max_length=160)
    tender_no: str = Field(primary_key=True, max_length=128)
    fingerprint: str | None = Field(default=None, max_length=128)
    card_brand: str | None = Field(default=None, max_length=32)
    customer_id: str | None = Field(default=None, max_length=160)
    location_id: str | None = Field(default=None, max_length=128)
    amount_cents: int = 0
    currency: str = Field(default="USD", max_length=3)
    occurred_at: datetime = Field(sa_type=UTCDateTime)  # the tender's own time, else its transaction's
    tender_occurred_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version_key: str = ""


class CardProfile(TenantKey, table=True):
    """An opaque vendor card fingerprint (never card data) and how widely it is used."""

    __tablename__ = "card_profiles"
    __table_args__ = {"schema": APP}

    fingerprint: str = Field(primary_key=True, max_length=128)
    card_brand: str | None = Field(default=None, max_length=32)
    use_count: int = 0
    customer_count: int = 0  # distinct customers named by transactions the card paid
    location_count: int = 0  # distinct locations the card was used at
    first_seen_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_seen_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ExternalIdentity(TenantKey, table=True):
    """A link from a customer to an identifier in another system (cross-vendor identity, v2).
    Soft-deleted like customers; a forgotten customer's links are archived and their refs tombstoned."""

    __tablename__ = "external_identities"
    __table_args__ = (
        Index("ix_external_identities_ref", "merchant_id", "namespace", "external_ref"),
        Index("ix_external_identities_customer", "merchant_id", "customer_id"),
        {"schema": APP},
    )

    id: str = Field(primary_key=True, max_length=64)
    customer_id: str = Field(max_length=160)
    namespace: str = Field(max_length=32)  # e.g. SHOPIFY, COUNTERPOINT, a second Square account
    external_ref: str = Field(max_length=160)
    link_method: str = Field(
        default="deterministic", max_length=16
    )  # deterministic | probabilistic | confirmed
    db_status: str = Field(default="active", max_length=16)
    valid_from: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    archived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
