"""What every Square money event turns into: a ``Transaction`` with its lines, tenders and refund link,
published to detection as one ``transaction`` event whose facts are those records.

Shared by payments, refunds, orders and drawers, with two helpers they all need: fetching an order
through ``ParseContext.fetch``, and the customer stub that makes R see a customer the moment a sale
names it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.adapters.square.api import OrderLookup, SquareApiError
from core.adapters.square.envelope import POLLED_KEY, Inbound, dump
from core.adapters.square.fields import Obj
from core.adapters.square.keys import SQ, customer_id
from core.domain.parsing import Parsed, ParsedEvent, ParseError
from core.domain.parties import CustomerRecord
from core.domain.records import Canonical
from core.domain.sales import LineItem, RefundLink, Tender, Transaction


@dataclass(frozen=True)
class SaleParts:
    transaction: Transaction
    line_items: Sequence[LineItem] = ()
    tenders: Sequence[Tender] = ()
    refund_link: RefundLink | None = None

    def records(self) -> list[Canonical]:
        link: list[Canonical] = [self.refund_link] if self.refund_link else []
        stub = customer_stub(self.transaction.customer_id)
        return [self.transaction, *self.line_items, *self.tenders, *link, *([stub] if stub else [])]

    def parsed_event(self, inbound: Inbound) -> ParsedEvent:
        return inbound.parsed_event(
            "transaction",
            self.transaction.id,
            self.transaction.occurred_at,
            {
                "transaction": dump(self.transaction),
                "line_items": [dump(line) for line in self.line_items],
                "tenders": [dump(tender) for tender in self.tenders],
                "refund_link": dump(self.refund_link) if self.refund_link else None,
            },
        )


def sale_outcome(inbound: Inbound, parts: Sequence[SaleParts], extra: Sequence[Canonical] = ()) -> Parsed:
    records = [record for part in parts for record in part.records()]
    return Parsed(records=[*records, *extra], events=[part.parsed_event(inbound) for part in parts])


def customer_stub(canonical_customer_id: str | None) -> CustomerRecord | None:
    """A bare customer row (id only, no PII) so R learns of a customer from a sale. Its empty
    ``version_key`` sorts below every real one: it inserts when the customer is new and never
    overwrites what a ``customer.*`` event wrote (the writer only moves forward)."""
    if canonical_customer_id is None:
        return None
    external = canonical_customer_id.removeprefix("sq:customer:")
    return CustomerRecord(id=canonical_customer_id, source=SQ, external_id=external, version_key="")


def fetch_order(inbound: Inbound, location: str | None, order_id: str, *, field: str) -> Obj | None:
    """The full order, when the context can fetch one; ``None`` when it cannot (enrichment is then
    skipped and the caller records what the event itself says).

    A failed fetch is a ``ParseError`` rather than a silently thinner record: the event is sealed, the
    failure shows in ``ingestion_log`` and ``canary replay`` completes it once Square answers. A polled
    document that carries the order (``order``, see ``polling.py``) needs no fetch.
    """
    if POLLED_KEY in inbound.document.data:
        inline = inbound.document.child("order")
        if inline is not None and inline.text("id") == order_id:
            return inline
    api = inbound.ctx.fetch
    if not isinstance(api, OrderLookup):
        return None
    try:
        order = api.get_order(location, order_id)
    except SquareApiError as exc:
        raise ParseError(f"could not fetch order {order_id}: {exc}", field=field) from None
    return Obj.of(order, f"order[{order_id}]")


def customer_of(obj: Obj) -> str | None:
    return customer_id(obj.text("customer_id"))
