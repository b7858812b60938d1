"""The simulated merchant: stores, stations, people, catalog, suppliers and calendar.

A ``World`` is the set of *profiles* (in the Fraud Detection Handbook's sense: customer and terminal
profiles first, transactions drawn from them second, frauds injected third). It holds no trading; it
is small, immutable and the same for the same arguments. Vendor ids live on the profiles
(``external_id``): a Square location id or a Counterpoint STR_ID, a Square team member id or a
Counterpoint USR_ID, so every writer and every label names things the way the vendor would.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property

from core.domain.records import Vendor

SQUARE, COUNTERPOINT = Vendor.SQUARE.slug, Vendor.COUNTERPOINT.slug  # a store's vendor, as the CLI writes it


@dataclass(frozen=True)
class TaxAuthority:
    code: str  # AUTH_COD
    name: str
    rate_bp: int  # basis points: 700 = 7.00 %


@dataclass(frozen=True)
class Jurisdiction:
    code: str  # TAX_COD
    authorities: tuple[TaxAuthority, ...]


@dataclass(frozen=True)
class Category:
    code: str
    descr: str
    min_pct: int
    trgt_pct: int
    weight: float
    live: bool


@dataclass(frozen=True)
class Item:
    sku: str  # ITEM_NO
    name: str
    category: str
    price: int  # list price, cents
    cost: int  # unit cost, cents
    vendor: str  # VEND_NO of the usual supplier
    square_id: str  # catalog object (item variation) id
    mix_match: str | None = None  # the mix-and-match group the item belongs to


@dataclass(frozen=True)
class MixMatch:
    code: str
    descr: str
    category: str
    size: int
    price: int  # bundle price, cents
    members: tuple[str, ...]  # ITEM_NOs


@dataclass(frozen=True)
class Supplier:
    code: str
    name: str
    kind: str  # distributor | grower | maker
    categories: tuple[str, ...]

    @property
    def paid_in_cash(self) -> bool:
        """Growers and small makers are paid in cash at the back door (seed Q.6.1)."""
        return self.kind != "distributor"


@dataclass(frozen=True)
class Card:
    fingerprint: str  # Square's opaque card fingerprint
    brand: str
    card_type: str  # CREDIT | DEBIT
    last4: str
    bin: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True)
class Station:
    key: str  # "S1-R1"
    store: str
    number: int
    name: str
    kind: str  # register | service | event
    external_id: str  # Square device id ("device:<uuid>") or Counterpoint STA_ID
    drawer_id: str  # Counterpoint DRW_ID; Square names the drawer by its device


@dataclass(frozen=True)
class Employee:
    key: str  # "S1-E3"
    store: str
    first: str
    last: str
    role: str  # manager | lead | cashier
    external_id: str  # Square team member id or Counterpoint USR_ID
    email: str
    phone: str


@dataclass(frozen=True)
class Customer:
    key: str  # "C0042"
    store: str  # home store; the customer's vendor is the home store's
    vendor: str
    external_id: str  # Square customer id or Counterpoint CUST_NO
    tier: str  # RETAIL | WHOLESALE | LANDSCAPER | EMPLOYEE (Counterpoint CATEG_COD)
    first: str
    last: str
    phone: str  # E.164
    email: str
    cards: tuple[Card, ...]
    tax_exempt: bool
    loyalty: bool
    created_at: datetime  # before the window for existing customers


@dataclass(frozen=True)
class Store:
    key: str  # "S1"
    index: int
    name: str
    vendor: str
    external_id: str  # Square location id or Counterpoint STR_ID
    timezone: str
    city: str
    state: str
    jurisdiction: Jurisdiction
    size: float  # traffic multiplier
    open_hour: int
    close_hour: int
    max_disc_pct: int  # PS_STR_CFG_PS.MAX_DISC_PCT
    max_disc_amt: int  # PS_STR_CFG_PS.MAX_DISC_AMT, whole dollars
    stations: tuple[Station, ...]

    def hours(self, day: date) -> tuple[int, int]:
        """Opening hours on ``day``: Sundays open an hour later and close two hours earlier."""
        if day.weekday() == 6:
            return self.open_hour + 1, self.close_hour - 2
        return self.open_hour, self.close_hour


@dataclass(frozen=True)
class Promotion:
    code: str
    name: str
    category: str
    pct: int
    start: date
    end: date  # inclusive


@dataclass(frozen=True)
class Merchant:
    name: str
    square_merchant_id: str
    notification_url: str
    signature_key: str
    square_api_version: str
    cp_company: str


@dataclass(frozen=True)
class World:
    seed: int
    vertical: str
    start: date
    days: int
    merchant: Merchant
    stores: tuple[Store, ...]
    employees: tuple[Employee, ...]
    customers: tuple[Customer, ...]
    categories: tuple[Category, ...]
    items: tuple[Item, ...]
    mix_matches: tuple[MixMatch, ...]
    suppliers: tuple[Supplier, ...]
    promotions: tuple[Promotion, ...]
    event_days: tuple[date, ...]  # cash-heavy event at each store's event-tent station
    warehouse: str = "DC"  # the stock location transfers come from

    @property
    def dates(self) -> list[date]:
        return [date.fromordinal(self.start.toordinal() + offset) for offset in range(self.days)]

    @cached_property
    def store_by_key(self) -> dict[str, Store]:
        return {store.key: store for store in self.stores}

    @cached_property
    def station_by_key(self) -> dict[str, Station]:
        return {station.key: station for store in self.stores for station in store.stations}

    @cached_property
    def employee_by_key(self) -> dict[str, Employee]:
        return {employee.key: employee for employee in self.employees}

    @cached_property
    def category_by_code(self) -> dict[str, Category]:
        return {category.code: category for category in self.categories}

    @cached_property
    def item_by_sku(self) -> dict[str, Item]:
        return {item.sku: item for item in self.items}

    @cached_property
    def supplier_by_code(self) -> dict[str, Supplier]:
        return {supplier.code: supplier for supplier in self.suppliers}

    def stores_of(self, vendor: str) -> list[Store]:
        return [store for store in self.stores if store.vendor == vendor]

    def staff(self, store: str, role: str | None = None) -> list[Employee]:
        return [e for e in self.employees if e.store == store and (role is None or e.role == role)]

    def customers_of(self, store: str, tier: str | None = None) -> list[Customer]:
        return [c for c in self.customers if c.store == store and (tier is None or c.tier == tier)]

    def items_in(self, category: str) -> list[Item]:
        return [item for item in self.items if item.category == category]
