"""Canonical sales tables (sales schema): each is its domain record plus tenant and evidence columns."""

from __future__ import annotations

from sqlalchemy import Index

from core.db.base import SALES, TenantRow
from core.domain.sales import DrawerEvent, DrawerShift, LineItem, RefundLink, Tender, Transaction


class TransactionRow(Transaction, TenantRow, table=True):
    __tablename__ = "transactions"
    __table_args__ = (
        # Bubble recomputes a device's hour from its transactions (core/bubble/service/observations.py).
        Index("ix_transactions_device_time", "merchant_id", "device_id", "occurred_at"),
        {"schema": SALES},
    )


class LineItemRow(LineItem, TenantRow, table=True):
    __tablename__ = "transaction_line_items"
    __table_args__ = {"schema": SALES}


class TenderRow(Tender, TenantRow, table=True):
    __tablename__ = "transaction_tenders"
    __table_args__ = {"schema": SALES}


class RefundLinkRow(RefundLink, TenantRow, table=True):
    __tablename__ = "refund_links"
    __table_args__ = {"schema": SALES}


class DrawerShiftRow(DrawerShift, TenantRow, table=True):
    __tablename__ = "cash_drawer_shifts"
    __table_args__ = {"schema": SALES}


class DrawerEventRow(DrawerEvent, TenantRow, table=True):
    __tablename__ = "cash_drawer_events"
    __table_args__ = {"schema": SALES}
