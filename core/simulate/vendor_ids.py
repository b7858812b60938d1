"""The vendor's id for every simulated object, derived from the object's stable key (``ids.py``), and
``refs`` to name an object in a label the way the vendor names it."""

from __future__ import annotations

from dataclasses import dataclass

from core.simulate.clock import cp_utc
from core.simulate.ids import Ids
from core.simulate.model import DrawerSession, Ticket
from core.simulate.movements import Adjustment, CustomerChange, PriceChange, Receiver, Transfer, VendorReturn
from core.simulate.world import COUNTERPOINT, SQUARE, Customer


@dataclass(frozen=True)
class VendorRef:
    vendor: str  # square | counterpoint
    type: str  # order | payment | refund | cash_drawer_shift | document | receiver | transfer | …
    id: str


class VendorIds:
    def __init__(self, seed: int) -> None:
        self.ids = Ids(seed)

    # Square
    def order(self, ticket: Ticket) -> str:
        return self.ids.mixed("order", ticket.id_key, 29)

    def payment(self, ticket: Ticket, n: int) -> str:
        return self.ids.mixed("payment", f"{ticket.id_key}#{n}", 29)

    def refund(self, ticket: Ticket, n: int) -> str:
        original = ticket.original
        paid = (
            self.payment(original, 0)
            if original is not None
            else self.ids.mixed("unlinked", ticket.id_key, 29)
        )
        return f"{paid}_{self.ids.mixed('refund', f'{ticket.id_key}#{n}', 41)}"

    def line_uid(self, ticket: Ticket, n: int) -> str:
        return self.ids.uuid("line", f"{ticket.id_key}#{n}")

    def shift(self, session: DrawerSession) -> str:
        return self.ids.uuid("shift", session.key).upper()

    def drawer_event(self, key: str) -> str:
        return self.ids.uuid("drawer-event", key).upper()

    def event(self, kind: str, key: str) -> str:
        return self.ids.uuid("event", f"{kind}/{key}")

    def loyalty_account(self, customer: Customer) -> str:
        return self.ids.uuid("loyalty-account", customer.key)

    # Counterpoint
    def doc_id(self, ticket: Ticket) -> int:
        return self.ids.number("doc", ticket.id_key, 12)

    def doc_guid(self, ticket: Ticket) -> str:
        return self.ids.hex32("doc", ticket.id_key)

    def lin_guid(self, ticket: Ticket, n: int) -> str:
        return self.ids.hex32("lin", f"{ticket.id_key}#{n}")

    def receiver_no(self, receiver: Receiver) -> str:
        return f"RCV{self.ids.number('receiver', receiver.key, 6)}"

    def transfer_no(self, transfer: Transfer) -> str:
        return f"XF{self.ids.number('transfer', transfer.key, 6)}"

    def rtv_no(self, rtv: VendorReturn) -> str:
        return f"RTV{self.ids.number('rtv', rtv.key, 6)}"

    def adjustment_seq(self, adjustment: Adjustment) -> int:
        return self.ids.number("adjustment", adjustment.key, 6)

    def refs(self, subject: object) -> list[VendorRef]:
        """How the vendor names ``subject``; for a ticket every id a detection might cite."""
        if isinstance(subject, VendorRef):
            return [subject]
        if isinstance(subject, Ticket):
            return self._ticket_refs(subject)
        if isinstance(subject, DrawerSession):
            return [VendorRef(SQUARE, "cash_drawer_shift", self.shift(subject))]
        if isinstance(subject, Receiver):
            return [
                VendorRef(
                    COUNTERPOINT, "PO_RECVR_HIST", f"{subject.store.external_id}/{self.receiver_no(subject)}"
                )
            ]
        if isinstance(subject, Transfer):
            return [VendorRef(COUNTERPOINT, "IM_XFER_HDR", f"{subject.source}/{self.transfer_no(subject)}")]
        if isinstance(subject, VendorReturn):
            return [
                VendorRef(COUNTERPOINT, "PO_RTV_HIST", f"{subject.store.external_id}/{self.rtv_no(subject)}")
            ]
        if isinstance(subject, Adjustment):
            return [
                VendorRef(
                    COUNTERPOINT,
                    "IM_ADJ_HIST",
                    f"{subject.store.external_id}/{subject.batch}/{subject.item.sku}/{self.adjustment_seq(subject)}",
                )
            ]
        if isinstance(subject, PriceChange):
            return [VendorRef(COUNTERPOINT, "IM_ITEM", f"{subject.item.sku}@{cp_utc(subject.at)}")]
        if isinstance(subject, CustomerChange):
            return [VendorRef(subject.customer.vendor, "customer", subject.customer.external_id)]
        raise TypeError(f"no vendor reference for {type(subject).__name__}")

    def _ticket_refs(self, ticket: Ticket) -> list[VendorRef]:
        if ticket.store.vendor == COUNTERPOINT:
            return [VendorRef(COUNTERPOINT, "document", self.doc_guid(ticket))]
        if ticket.refund:
            refs = [VendorRef(SQUARE, "refund", self.refund(ticket, n)) for n in range(len(ticket.payments))]
            return [*refs, VendorRef(SQUARE, "order", self.order(ticket))]
        payments = [
            VendorRef(SQUARE, "payment", self.payment(ticket, n)) for n in range(len(ticket.payments))
        ]
        return [VendorRef(SQUARE, "order", self.order(ticket)), *payments]
