"""Document-substrate tables: each is its domain record plus tenant and evidence columns.

Documents, their children and stock movements are events (sales schema); store thresholds and
category margin targets are configuration (app schema), as docs/counterpoint.md lays out.
"""

from __future__ import annotations

from typing import ClassVar

from core.db.base import APP, SALES, TenantRow
from core.domain.documents import AuditLogEntry, Document, DocumentTax, OriginalDocRef, PricingDecision
from core.domain.stock import (
    InventoryAdjustment,
    Receiver,
    ReceiverLine,
    ReturnToVendor,
    ReturnToVendorLine,
    Transfer,
    TransferLine,
)
from core.domain.store_config import ItemCategory, StoreConfig


class DocumentRow(Document, TenantRow, table=True):
    __tablename__ = "documents"
    __table_args__: ClassVar[dict[str, str]] = {"schema": SALES}


class DocumentTaxRow(DocumentTax, TenantRow, table=True):
    __tablename__ = "transaction_taxes"
    __table_args__: ClassVar[dict[str, str]] = {"schema": SALES}


class AuditLogEntryRow(AuditLogEntry, TenantRow, table=True):
    __tablename__ = "audit_log_entries"
    __table_args__: ClassVar[dict[str, str]] = {"schema": SALES}


class PricingDecisionRow(PricingDecision, TenantRow, table=True):
    __tablename__ = "pricing_decisions"
    __table_args__: ClassVar[dict[str, str]] = {"schema": SALES}


class OriginalDocRefRow(OriginalDocRef, TenantRow, table=True):
    __tablename__ = "original_doc_refs"
    __table_args__: ClassVar[dict[str, str]] = {"schema": SALES}


class TransferRow(Transfer, TenantRow, table=True):
    __tablename__ = "transfers"
    __table_args__: ClassVar[dict[str, str]] = {"schema": SALES}


class TransferLineRow(TransferLine, TenantRow, table=True):
    __tablename__ = "transfer_lines"
    __table_args__: ClassVar[dict[str, str]] = {"schema": SALES}


class ReceiverRow(Receiver, TenantRow, table=True):
    __tablename__ = "receivers"
    __table_args__: ClassVar[dict[str, str]] = {"schema": SALES}


class ReceiverLineRow(ReceiverLine, TenantRow, table=True):
    __tablename__ = "receiver_lines"
    __table_args__: ClassVar[dict[str, str]] = {"schema": SALES}


class ReturnToVendorRow(ReturnToVendor, TenantRow, table=True):
    __tablename__ = "returns_to_vendor"
    __table_args__: ClassVar[dict[str, str]] = {"schema": SALES}


class ReturnToVendorLineRow(ReturnToVendorLine, TenantRow, table=True):
    __tablename__ = "return_to_vendor_lines"
    __table_args__: ClassVar[dict[str, str]] = {"schema": SALES}


class InventoryAdjustmentRow(InventoryAdjustment, TenantRow, table=True):
    __tablename__ = "inventory_adjustments"
    __table_args__: ClassVar[dict[str, str]] = {"schema": SALES}


class StoreConfigRow(StoreConfig, TenantRow, table=True):
    __tablename__ = "store_configs"
    __table_args__: ClassVar[dict[str, str]] = {"schema": APP}


class ItemCategoryRow(ItemCategory, TenantRow, table=True):
    __tablename__ = "item_categories"
    __table_args__: ClassVar[dict[str, str]] = {"schema": APP}
