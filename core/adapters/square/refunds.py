"""Square PaymentRefunds (``refund.created`` / ``refund.updated``, and polled refunds) → a REFUND
``Transaction`` and the ``RefundLink`` to the sale it gives money back for.

Mapping decisions:
- The transaction is keyed on the refund (``sq:refund:<id>``): amount = ``amount_money`` (a magnitude),
  status = refund status verbatim (PENDING, COMPLETED, REJECTED, FAILED), reason = the refund's
  reason, employee = ``team_member_id``; ``order_id`` is the RETURN order Square created for it.
- With a fetcher the return order is fetched: ``returns[].source_order_id`` names the original sale, so
  the link gets ``original_order_id`` and ``original_transaction_id`` (``sq:order:<source>``), the
  customer comes from the return order, and its returned lines become this transaction's RETURN lines
  (for an exchange, whose return order also sells, the lines stay on the exchange's own transaction).
- Without a fetcher the link carries ``original_payment_id`` only: which order that payment belonged
  to is not in the refund, and a guessed id would be worse than none. Join
  ``transaction_tenders.tender_no = original_payment_id`` to find the sale.
- A refund tender (``tender_no`` = refund id) is recorded when Square says where the money went
  (``destination_type``: CARD, CASH, …), which is what a card-to-cash swap check needs.
- Version: ``updated_at`` and the refund's ``version`` (sent in the examples though not in the SDK).
"""

from __future__ import annotations

from core.adapters.square.envelope import Inbound
from core.adapters.square.fields import Obj, clip, present
from core.adapters.square.keys import (
    SQ,
    employee_id,
    local_wall_clock,
    location_id,
    order_transaction_id,
    sq_id,
)
from core.adapters.square.orders import order_kind, order_lines
from core.adapters.square.transactions import SaleParts, customer_of, fetch_order, sale_outcome
from core.domain.parsing import ParseError, ParseOutcome
from core.domain.records import version_key
from core.domain.sales import LineItem, RefundLink, Tender, Transaction, TransactionType


def refund_event(inbound: Inbound) -> ParseOutcome:
    return parse_refund(inbound.object("refund"), inbound)


def parse_refund(refund: Obj, inbound: Inbound) -> ParseOutcome:
    refund_id = refund.require_text("id")
    tx_id = sq_id("refund", refund_id)
    amount = refund.money("amount_money")
    if amount is None:
        raise ParseError("missing", field=refund.field("amount_money"))
    occurred = refund.time("created_at") or inbound.occurred_at
    if occurred is None:
        raise ParseError("missing", field=refund.field("created_at"))
    stamp = version_key(refund.time("updated_at") or occurred, refund.integer("version"))
    return_order_id, location = refund.text("order_id"), refund.text("location_id")
    order = None
    if return_order_id:
        order = fetch_order(inbound, location, return_order_id, field=refund.field("order_id"))
    original_order = _original_order(order) if order else None
    lines: list[LineItem] = []
    if order is not None and order_kind(order) is None:
        lines = order_lines(order, tx_id, stamp, returns_only=True)
    employee = employee_id(refund.text("team_member_id"))
    status, reason = refund.text("status"), clip(refund.text("reason"), 500)
    transaction = Transaction(
        id=tx_id,
        type=TransactionType.REFUND,
        source=SQ,
        source_type=inbound.source_type,
        external_id=refund_id,
        occurred_at=occurred,
        amount_cents=abs(amount.cents),
        version_key=stamp,
        **present(
            status=status,
            order_id=return_order_id,
            location_id=location_id(location),
            employee_id=employee,
            customer_id=customer_of(order) if order else None,
            currency=amount.currency,
            reason=reason,
            local_occurred_at=local_wall_clock(inbound.ctx, location, occurred),
        ),
    )
    link = RefundLink(
        refund_transaction_id=tx_id,
        version_key=stamp,
        **present(
            original_transaction_id=order_transaction_id(original_order) if original_order else None,
            original_payment_id=refund.text("payment_id"),
            original_order_id=original_order,
            reason=reason,
        ),
    )
    tenders: list[Tender] = []
    destination = refund.text("destination_type")
    if destination:
        tenders.append(
            Tender(
                transaction_id=tx_id,
                tender_no=refund_id,
                tender_type=destination,  # the same vocabulary as a payment source_type
                pay_code=destination,
                amount_cents=abs(amount.cents),
                occurred_at=occurred,
                version_key=stamp,
                **present(status=status, currency=amount.currency, employee_id=employee),
            )
        )
    return sale_outcome(inbound, [SaleParts(transaction, lines, tenders, link)])


def _original_order(order: Obj) -> str | None:
    """The first sale the return order returns from (a return order usually returns from one)."""
    for ret in order.children("returns"):
        source = ret.text("source_order_id")
        if source:
            return source
    return None
