"""Square Loyalty (``loyalty.account.*``, ``loyalty.event.created``) → ``LoyaltyAccount`` and
``LoyaltyEvent``. Program and promotion events are configuration and are ignored (see parser.py).

Mapping decisions:
- The account's ``mapping.phone_number`` is never stored. It becomes ``phone_hmac`` on the account
  (so accounts without a customer still match on phone) and, when the account names a customer, that
  customer's ``ContactFingerprint`` of kind ``phone``. Balance, lifetime points, program and customer
  are kept; ``loyalty.account.deleted`` → status DELETED, versioned at the deletion event's time.
- A loyalty event keeps its type, ``source`` (SQUARE = entered at the POS, LOYALTY_API = an app) as
  ``event_source``, the points from its type-specific detail, their signed effect on the balance, the
  order (as the canonical sale transaction id), reward, program, location and account, and a manual
  adjustment's reason. An ADJUST_POINTS from SQUARE is a person at a till granting points by hand.
"""

from __future__ import annotations

from core.adapters.square.customers import fingerprint
from core.adapters.square.envelope import Inbound, dump
from core.adapters.square.fields import clip, latest, present
from core.adapters.square.keys import SQ, customer_id, location_id, order_transaction_id, sq_id
from core.adapters.square.transactions import customer_stub
from core.domain.loyalty import LoyaltyAccount, LoyaltyEvent
from core.domain.parsing import Parsed, ParseError, ParseOutcome
from core.domain.records import Canonical, version_key

# The detail object of each event type, and the sign of its points on the balance (0: no change;
# None: the points are already signed, as in an adjustment).
_DETAIL: dict[str, tuple[str, int | None]] = {
    "ACCUMULATE_POINTS": ("accumulate_points", 1),
    "ACCUMULATE_PROMOTION_POINTS": ("accumulate_promotion_points", 1),
    "CREATE_REWARD": ("create_reward", -1),
    "REDEEM_REWARD": ("redeem_reward", 0),  # the points left the balance when the reward was created
    "DELETE_REWARD": ("delete_reward", 1),
    "ADJUST_POINTS": ("adjust_points", None),
    "EXPIRE_POINTS": ("expire_points", -1),
    "OTHER": ("other_event", None),
}


def account_event(inbound: Inbound) -> ParseOutcome:
    account = inbound.object("loyalty_account")
    external = account.require_text("id")
    deleted = inbound.type == "loyalty.account.deleted"
    changed = latest(account.time("updated_at"), inbound.occurred_at if deleted else None)
    stamp = version_key(changed or account.time("created_at"))
    customer = customer_id(account.text("customer_id"))
    mapping = account.child("mapping")
    phone = mapping.text("phone_number") if mapping else None
    holder = customer or sq_id("loyalty_account", external)
    phone_print = fingerprint(inbound.ctx, holder, "phone", phone, stamp)
    record = LoyaltyAccount(
        id=sq_id("loyalty_account", external),
        source=SQ,
        external_id=external,
        status="DELETED" if deleted else "ACTIVE",
        version_key=stamp,
        **present(
            program_id=account.text("program_id"),
            customer_id=customer,
            phone_hmac=phone_print.hmac if phone_print else None,
            balance=account.integer("balance"),
            lifetime_points=account.integer("lifetime_points"),
            enrolled_at=account.time("enrolled_at"),
            created_at=account.time("created_at"),
        ),
    )
    records: list[Canonical] = [record]
    if customer is not None and phone_print is not None and not deleted:
        records.append(phone_print)
    stub = customer_stub(customer)
    return Parsed(records=[*records, *([stub] if stub else [])])


def event_event(inbound: Inbound) -> ParseOutcome:
    event = inbound.object("loyalty_event")
    external = event.require_text("id")
    event_type = event.require_text("type")
    occurred = event.time("created_at") or inbound.occurred_at
    if occurred is None:
        raise ParseError("missing", field=event.field("created_at"))
    key, sign = _DETAIL.get(event_type, ("", None))
    detail = event.child(key) if key else None
    points = detail.integer("points") if detail else None
    if points is None:
        delta = None
    elif sign is None:
        delta = points
    else:
        delta = sign * abs(points)
    order = detail.text("order_id") if detail else None
    account = event.text("loyalty_account_id")
    record = LoyaltyEvent(
        id=sq_id("loyalty_event", external),
        source=SQ,
        external_id=external,
        event_type=event_type,
        occurred_at=occurred,
        version_key=version_key(occurred),
        **present(
            event_source=event.text("source"),
            points=points,
            balance_delta=delta,
            loyalty_account_id=sq_id("loyalty_account", account) if account else None,
            program_id=detail.text("loyalty_program_id") if detail else None,
            transaction_id=order_transaction_id(order) if order else None,
            reward_id=detail.text("reward_id") if detail else None,
            reason=clip(detail.text("reason"), 200) if detail else None,
            location_id=location_id(event.text("location_id")),
        ),
    )
    facts = {"loyalty_event": dump(record)}
    return Parsed(
        records=[record], events=[inbound.parsed_event("loyalty_event", record.id, occurred, facts)]
    )
