"""The Square adapter's entry point: ``parse(event, ctx) -> Parsed | Ignored``, or ``ParseError``.

Pure: no database, no bus, no HTTP of its own. The one outside call, fetching an order, goes through
``ctx.fetch`` (an ``OrderLookup``) when the pipeline provides one. The body is read as a plain JSON
dict, never through the SDK's strict models (docs/square.md).

Routing: a document Canary wrote while polling (``canary_polled``, see polling.py) goes by its
``kind``; a webhook by its envelope ``type``. Each family's mapping decisions are documented in its
module. Types Canary does not map are ``Ignored`` with the reason below, recorded in
``ingestion_log`` and replayable if a mapping is added later; an unknown type is ignored the same
way, never dropped.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import ValidationError

from core.adapters.square import (
    customers,
    devices,
    disputes,
    drawers,
    inventory,
    labor,
    loyalty,
    orders,
    payments,
    payouts,
    refunds,
    team,
    terminal,
)
from core.adapters.square.envelope import POLLED_KEY, Inbound, load_document
from core.domain.parsing import Ignored, ParseContext, Parsed, ParseError, ParseOutcome, RawEvent

Handler = Callable[[Inbound], ParseOutcome]


def _revoked(_inbound: Inbound) -> ParseOutcome:
    """The seller withdrew Canary's access: the pipeline marks the merchant revoked, ingress refuses it."""
    return Parsed(records=[], merchant_status="revoked")


def _each(types: str, handler: Handler) -> dict[str, Handler]:
    return dict.fromkeys(types.split(), handler)


WEBHOOKS: dict[str, Handler] = {
    **_each("payment.created payment.updated", payments.payment_event),
    **_each("refund.created refund.updated", refunds.refund_event),
    **_each("order.created order.updated", orders.order_event),
    **_each("customer.created customer.updated customer.deleted", customers.customer_event),
    **_each("loyalty.account.created loyalty.account.updated loyalty.account.deleted", loyalty.account_event),
    "loyalty.event.created": loyalty.event_event,
    **_each("payout.sent payout.paid payout.failed", payouts.payout_event),
    **_each(
        "dispute.created dispute.state.updated dispute.state.changed dispute.evidence.created "
        "dispute.evidence.deleted dispute.evidence.added dispute.evidence.removed",
        disputes.dispute_event,
    ),
    **_each("team_member.created team_member.updated", team.team_member_event),
    "device.created": devices.device_event,
    "device.code.paired": devices.device_code_event,
    **_each("terminal.checkout.created terminal.checkout.updated", terminal.checkout_event),
    **_each("terminal.refund.created terminal.refund.updated", terminal.refund_event),
    **_each("terminal.action.created terminal.action.updated", terminal.action_event),
    "inventory.count.updated": inventory.counts_event,
    **_each(
        "labor.timecard.created labor.timecard.updated labor.timecard.deleted "
        "labor.shift.created labor.shift.updated labor.shift.deleted",
        labor.timecard_event,
    ),
    "oauth.authorization.revoked": _revoked,
}

# Prefixes, checked after WEBHOOKS: "customer.custom_attribute…" events are not customers.
IGNORED: dict[str, str] = {
    "webhooks.test_notification": "test notification",
    "bank_account.": "bank account lifecycle: not sales or loss-prevention data",
    "card.": "card-on-file lifecycle: payments carry the card fingerprint that velocity checks use",
    "catalog.": "catalog changes carry only a version stamp; item data is not mapped from webhooks",
    "customer.custom_attribute": "custom attributes are merchant-defined free text that may name a person",
    "gift_card.": "gift card balances and activities are not mapped; gift card sales and loads arrive as "
    "payments and order lines",
    "invoice.": "invoice lifecycle: an invoice's payments and refunds arrive as payment.* and refund.*",
    "job.": "job titles and pay rates are payroll data, not loss-prevention data",
    "labor.scheduled_shift.": "scheduled shifts are plans, not worked time; timecards are mapped",
    "location.": "location webhooks carry only the id; locations are onboarded with their time zone, "
    "which an upsert from here would reset",
    "loyalty.program.": "loyalty program configuration, not buyer activity",
    "loyalty.promotion.": "loyalty promotion configuration, not buyer activity",
    "order.fulfillment.": "fulfillment state only; the order is fetched with its payment",
    "team_member.wage_setting.": "wages are payroll data, not loss-prevention data",
    "transfer_order.": "transfer orders are not mapped yet",
}

POLLED: dict[str, Handler] = {
    "payment": lambda inbound: payments.parse_payment(inbound.object("payment"), inbound),
    "refund": lambda inbound: refunds.parse_refund(inbound.object("refund"), inbound),
    "order": lambda inbound: orders.parse_order(inbound.object("order"), inbound),
    "cash_drawer_shift": drawers.parse_shift,
}


def parse(event: RawEvent, ctx: ParseContext) -> ParseOutcome:
    try:
        return _route(event, ctx)
    except ValidationError as exc:
        # A value the payload allowed but a canonical column cannot hold (an id longer than any Square
        # issues, say): the payload's fault, so a ParseError, not an adapter crash.
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ParseError(f"does not fit {exc.title}.{where}: {first['msg']}") from None


def _route(event: RawEvent, ctx: ParseContext) -> ParseOutcome:
    document = load_document(event.raw)
    if POLLED_KEY in document.data:
        inbound = Inbound.polled(event, ctx, document)
        kind = inbound.type.removeprefix(f"{POLLED_KEY}.")
        polled = POLLED.get(kind)
        if polled is None:
            raise ParseError(f"unknown polled document kind {kind!r}", field=f"{POLLED_KEY}.kind")
        return polled(inbound)
    inbound = Inbound.webhook(event, ctx, document)
    handler = WEBHOOKS.get(inbound.type)
    if handler is not None:
        return handler(inbound)
    return Ignored(ignored_reason(inbound.type))


def ignored_reason(event_type: str) -> str:
    """Every ``IGNORED`` key is a prefix of the types it covers; the longest match wins."""
    for prefix in sorted(IGNORED, key=len, reverse=True):
        if event_type.startswith(prefix):
            return IGNORED[prefix]
    return f"no mapping for Square event type {event_type!r}"
