"""Square Terminal API requests (``terminal.checkout.*``, ``terminal.refund.*``,
``terminal.action.*``) → ``TerminalActivity``.

Mapping decisions: one record per checkout, refund or action, keyed ``sq:terminal_<kind>:<id>``, with
its status, amount, device, location, the resulting payment ids, order, customer and (for refunds) the
card fingerprint and reason. The checkout's free-text ``note`` is not kept. The payment or refund a
request leads to arrives as its own ``payment.*`` / ``refund.*`` event; these records say which device
was asked to take it and when. Version: ``updated_at``.
"""

from __future__ import annotations

from core.adapters.square.envelope import Inbound
from core.adapters.square.fields import Obj, clip, present
from core.adapters.square.keys import SQ, customer_id, device_id, location_id, sq_id
from core.domain.parsing import Parsed, ParseOutcome
from core.domain.records import version_key
from core.domain.terminal import TerminalActivity, TerminalActivityKind


def checkout_event(inbound: Inbound) -> ParseOutcome:
    checkout = inbound.object("checkout")
    options = checkout.child("device_options")
    return _activity(
        inbound,
        checkout,
        TerminalActivityKind.CHECKOUT,
        device=options.text("device_id") if options else None,
        payment_ids=checkout.strings("payment_ids"),
        customer=checkout.text("customer_id"),
    )


def refund_event(inbound: Inbound) -> ParseOutcome:
    refund = inbound.object("refund")
    details = refund.child("card_details")
    card = (details.child("card") if details else None) or refund.child("card")
    payment = refund.text("payment_id")
    return _activity(
        inbound,
        refund,
        TerminalActivityKind.REFUND,
        device=refund.text("device_id"),
        payment_ids=[payment] if payment else [],
        fingerprint=card.text("fingerprint") if card else None,
        reason=clip(refund.text("reason"), 500),
    )


def action_event(inbound: Inbound) -> ParseOutcome:
    action = inbound.object("action")
    save_card = action.child("save_card_options")
    return _activity(
        inbound,
        action,
        TerminalActivityKind.ACTION,
        device=action.text("device_id"),
        action_type=action.text("type"),
        customer=save_card.text("customer_id") if save_card else action.text("customer_id"),
    )


def _activity(
    inbound: Inbound,
    obj: Obj,
    kind: TerminalActivityKind,
    *,
    device: str | None,
    payment_ids: list[str] | None = None,
    customer: str | None = None,
    action_type: str | None = None,
    fingerprint: str | None = None,
    reason: str | None = None,
) -> ParseOutcome:
    external = obj.require_text("id")
    amount = obj.money("amount_money")
    created = obj.time("created_at")
    record = TerminalActivity(
        id=sq_id(f"terminal_{kind.lower()}", external),
        source=SQ,
        external_id=external,
        kind=kind,
        status=obj.text("status") or "UNKNOWN",
        payment_ids=",".join(payment_ids or [])[:2_000],
        version_key=version_key(obj.time("updated_at") or created or inbound.occurred_at),
        **present(
            action_type=action_type,
            amount_cents=amount.cents if amount else None,
            currency=amount.currency if amount else None,
            device_id=device_id(device),
            location_id=location_id(obj.text("location_id")),
            order_id=obj.text("order_id"),
            customer_id=customer_id(customer),
            card_fingerprint=fingerprint,
            reason=reason,
            occurred_at=created,
        ),
    )
    return Parsed(records=[record])
