"""What happens around the till: stock movements (receivers against purchase orders, transfers,
returns to vendor, write-offs), changes to customer records and item prices, and ``Day``, everything
that happened on one local business day."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from core.simulate.model import DrawerSession, Ticket
from core.simulate.world import Customer, Employee, Item, Store, Supplier


@dataclass
class StockLine:
    item: Item
    qty: int  # ordered (receiver), shipped (transfer), returned (RTV)
    actual: int | None = None  # received; None means as ordered or shipped
    cost: int | None = None  # unit cost actually booked

    @property
    def received(self) -> int:
        return self.qty if self.actual is None else self.actual

    @property
    def unit_cost(self) -> int:
        return self.item.cost if self.cost is None else self.cost


@dataclass
class Receiver:
    key: str
    store: Store
    supplier: Supplier
    at: datetime
    po_no: str
    lines: list[StockLine]
    user: Employee
    cash_paid: bool = False


@dataclass
class Transfer:
    key: str
    source: str  # stock location id (a Counterpoint STR_ID or the warehouse)
    target: str
    shipped_at: datetime
    received_at: datetime
    target_zone: str
    lines: list[StockLine]


@dataclass
class VendorReturn:
    key: str
    store: Store
    supplier: Supplier
    at: datetime
    lines: list[StockLine]
    reason: str


@dataclass
class Adjustment:
    key: str
    store: Store
    item: Item
    qty: int  # negative: a write-off
    reason: str  # REAS_COD
    at: datetime
    batch: str


@dataclass
class CustomerChange:
    """A customer record as the vendor holds it after a change (a new customer, or a tier move)."""

    customer: Customer
    at: datetime
    tier: str
    by: Employee | None = None
    created: bool = False


@dataclass
class PriceChange:
    """An item's selling price changed in the item master (IM_ITEM.PRC_1) by a user."""

    key: str
    item: Item
    at: datetime
    old_price: int
    new_price: int
    by: Employee
    store: Store  # where the user works (the item master itself is company-wide)


@dataclass
class Day:
    """Everything that happened on one local business day, across all stores."""

    day: date
    tickets: list[Ticket] = field(default_factory=list)
    sessions: list[DrawerSession] = field(default_factory=list)
    receivers: list[Receiver] = field(default_factory=list)
    transfers: list[Transfer] = field(default_factory=list)
    vendor_returns: list[VendorReturn] = field(default_factory=list)
    adjustments: list[Adjustment] = field(default_factory=list)
    customer_changes: list[CustomerChange] = field(default_factory=list)
    price_changes: list[PriceChange] = field(default_factory=list)
    disputes: list[tuple[Ticket, datetime]] = field(default_factory=list)  # (disputed sale, when)
