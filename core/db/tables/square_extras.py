"""Tables for the canonical records only Square supplies today: payouts, disputes, loyalty, inventory
counts, timecards and terminal activity. Events go to the sales schema; loyalty accounts, which
describe a person's membership, sit beside customers in the app schema."""

from __future__ import annotations

from typing import ClassVar

from core.db.base import APP, SALES, TenantRow
from core.domain.finance import Dispute, Payout
from core.domain.inventory import InventoryCount
from core.domain.labor import Timecard
from core.domain.loyalty import LoyaltyAccount, LoyaltyEvent
from core.domain.terminal import TerminalActivity


class PayoutRow(Payout, TenantRow, table=True):
    __tablename__ = "payouts"
    __table_args__: ClassVar[dict[str, str]] = {"schema": SALES}


class DisputeRow(Dispute, TenantRow, table=True):
    __tablename__ = "disputes"
    __table_args__: ClassVar[dict[str, str]] = {"schema": SALES}


class LoyaltyAccountRow(LoyaltyAccount, TenantRow, table=True):
    __tablename__ = "loyalty_accounts"
    __table_args__: ClassVar[dict[str, str]] = {"schema": APP}


class LoyaltyEventRow(LoyaltyEvent, TenantRow, table=True):
    __tablename__ = "loyalty_events"
    __table_args__: ClassVar[dict[str, str]] = {"schema": SALES}


class InventoryCountRow(InventoryCount, TenantRow, table=True):
    __tablename__ = "inventory_counts"
    __table_args__: ClassVar[dict[str, str]] = {"schema": SALES}


class TimecardRow(Timecard, TenantRow, table=True):
    __tablename__ = "timecards"
    __table_args__: ClassVar[dict[str, str]] = {"schema": SALES}


class TerminalActivityRow(TerminalActivity, TenantRow, table=True):
    __tablename__ = "terminal_activities"
    __table_args__: ClassVar[dict[str, str]] = {"schema": SALES}
