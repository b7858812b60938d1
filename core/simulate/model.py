"""The vendor-neutral things that happen in a store: tickets, drawer sessions and stock movements.

Trading and scenarios produce these; the writers (``render_*``) turn each into what Square or
Counterpoint would send. Money is integer cents; times are aware UTC datetimes. A ticket's
``key`` is stable (it names the ticket, not its position), so vendor ids derived from it are too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.simulate.world import (
    Card,
    Customer,
    Employee,
    Item,
    Jurisdiction,
    Station,
    Store,
    TaxAuthority,
)


@dataclass
class Line:
    item: Item
    qty: int  # a magnitude: a return line has kind "R" and is written with negative signs
    price: int  # unit price charged
    reg_price: int  # the list price before any discount (REG_PRC)
    kind: str = "S"  # S sale, R return, L layaway
    override: bool = False  # HAS_PRC_OVRD: the cashier typed the price
    reason: str | None = None  # PRC_OVRD_REAS
    just: str = "Price-1"  # PRC_JUST_STR: how the price was reached
    mix_match: str | None = None  # MIX_MATCH_COD
    promo: str | None = None  # promotion code, when a promotion set the price
    cost: int | None = None  # unit cost when it differs from the item's
    source: int | None = None  # a return line: the index of the line it returns in the original sale

    @property
    def sign(self) -> int:
        return -1 if self.kind == "R" else 1

    @property
    def unit_cost(self) -> int:
        return self.item.cost if self.cost is None else self.cost

    @property
    def ext(self) -> int:
        return self.sign * self.qty * self.price

    @property
    def gross(self) -> int:
        return self.sign * self.qty * self.reg_price

    @property
    def ext_cost(self) -> int:
        return self.sign * self.qty * self.unit_cost

    @property
    def discount(self) -> int:
        return abs(self.gross) - abs(self.ext)


@dataclass
class Payment:
    method: str  # CASH | CARD | DEBIT | ACCOUNT | CHECK
    amount: int  # a magnitude; the ticket's kind says which way the money went
    card: Card | None = None
    entry: str = "EMV"  # Square entry_method
    delay: int = 0  # seconds after the ticket's payment step (split tenders arrive one by one)


@dataclass
class Audit:
    """One PS_DOC_AUDIT_LOG row. The ACTIV letters are the simulator's vocabulary (``vocab.py``)."""

    at: datetime
    activ: str
    text: str
    user: Employee
    station: Station
    doc_type: str = "T"


@dataclass
class Ticket:
    key: str
    store: Store
    station: Station
    employee: Employee
    at: datetime  # when the cashier started the ticket
    lines: list[Line]
    payments: list[Payment] = field(default_factory=list)
    customer: Customer | None = None
    kind: str = "SALE"  # SALE | RETURN | VOID | LAYAWAY
    original: Ticket | None = None  # the sale a return or void refers to
    link_original: bool = True  # write the reference (PS_DOC_HDR_ORIG_DOC, returns[].source_order_id)
    lookup: bool = True  # a return starts with a receipt look-up in the audit trail
    jurisdiction: Jurisdiction | None = None  # the tax stack charged, when not the store's
    exempt: bool = False
    audit: list[Audit] = field(default_factory=list)  # entries beyond the routine ones
    routine_audit: bool = True  # write the routine rows (new, payments, commit) around ``audit``
    doc_type: str = "T"
    release: bool = False  # IS_REL_TKT: releases a layaway or order
    canceled: bool = False  # Square: the card authorisation was voided
    duration: int = 90  # seconds from start to commit
    reason: str | None = None  # refund reason
    number: str = ""  # TKT_NO / receipt number, given when the day is assembled
    session: DrawerSession | None = None
    revision_of: Ticket | None = None  # a later version of an already written document (same ids)
    updated_at: datetime | None = None  # when this version was saved; default: when it was committed
    taxes: list[tuple[TaxAuthority, int, int]] = field(default_factory=list)  # (authority, taxable, tax)

    @property
    def closed_at(self) -> datetime:
        return self.at + timedelta(seconds=self.duration)

    @property
    def saved_at(self) -> datetime:
        return self.updated_at or self.closed_at

    @property
    def id_key(self) -> str:
        """The key vendor ids derive from: a revision keeps its document's ids."""
        return self.revision_of.id_key if self.revision_of is not None else self.key

    @property
    def subtotal(self) -> int:
        return sum(line.ext for line in self.lines)

    @property
    def tax(self) -> int:
        return sum(amount for _, _, amount in self.taxes)

    @property
    def total(self) -> int:
        return self.subtotal + self.tax

    @property
    def refund(self) -> bool:
        return self.kind == "RETURN"

    def cash(self) -> int:
        return sum(p.amount for p in self.payments if p.method == "CASH")


@dataclass
class DrawerEvent:
    key: str
    at: datetime
    type: str  # Square CashDrawerEventType
    amount: int  # a magnitude
    employee: Employee
    description: str = ""


@dataclass
class DrawerSession:
    key: str
    store: Store
    station: Station
    number: int  # Counterpoint DRW_SESSION_ID
    opened_at: datetime
    closed_at: datetime
    opener: Employee
    closer: Employee
    opening_cash: int = 15000
    events: list[DrawerEvent] = field(default_factory=list)
    variance: int = 0  # counted minus expected at close
    description: str = ""
    reopened_at: datetime | None = None  # reactivated after closing …
    reclosed_at: datetime | None = None  # … and closed again

    @property
    def final_close(self) -> datetime:
        return self.reclosed_at or self.closed_at

    @property
    def members(self) -> list[Employee]:
        seen = {self.opener.key: self.opener, self.closer.key: self.closer}
        for event in self.events:
            seen.setdefault(event.employee.key, event.employee)
        return [seen[key] for key in sorted(seen)]

    def flow(self, kind: str) -> int:
        return sum(e.amount for e in self.events if e.type == kind)

    @property
    def expected(self) -> int:
        return (
            self.opening_cash
            + self.flow("CASH_TENDER_PAYMENT")
            - self.flow("CASH_TENDER_REFUND")
            + self.flow("PAID_IN")
            - self.flow("PAID_OUT")
        )

    @property
    def counted(self) -> int:
        return self.expected + self.variance
