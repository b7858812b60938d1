"""What Square sends and serves for a simulated day: signed webhook deliveries, and the API pages and
polled drawer documents a fake Square API (or the batch path) can replay.

A delivery is the raw body exactly as signed, with Square's headers (docs/square.md, signature):
``x-square-hmacsha256-signature = base64(HMAC-SHA256(key, notification_url + body))``. Bodies are
compact JSON in Square's live key order (merchant_id, [location_id,] type, event_id, created_at,
data); event ids are derived from the object and its status, so a re-run sends the same ids.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from core.adapters.square.signature import sign_square_body
from core.simulate.clock import sq_time
from core.simulate.model import Ticket
from core.simulate.movements import Day
from core.simulate.render import square_others as others
from core.simulate.render.square_common import paid_at
from core.simulate.render.square_payments import fee, payment, refund, refunded_at
from core.simulate.vendor_ids import VendorIds
from core.simulate.world import SQUARE, World

Json = dict[str, Any]
SIGNATURE_HEADER = "x-square-hmacsha256-signature"


def sign(body: str, key: str, url: str) -> str:
    """The ``x-square-hmacsha256-signature`` for a body as text (the adapter's own signer, so the
    simulator and ingress cannot disagree)."""
    return sign_square_body(body.encode("utf-8"), key, url)


@dataclass(frozen=True)
class Delivery:
    at: datetime
    url: str
    headers: dict[str, str]
    body: str

    def line(self) -> Json:
        return {"url": self.url, "headers": self.headers, "body": self.body}


class SquareFeed:
    def __init__(self, world: World, ids: VendorIds) -> None:
        self.world, self.ids = world, ids
        self.merchant = world.merchant

    def _event(
        self,
        kind: str,
        at: datetime,
        data_type: str,
        key: str,
        obj_id: str,
        obj: Json,
        location: str | None = None,
        tag: str = "",
    ) -> Delivery:
        body: Json = {"merchant_id": self.merchant.square_merchant_id}
        if location is not None:
            body["location_id"] = location
        body.update(
            {
                "type": kind,
                "event_id": self.ids.event(kind, f"{obj_id}/{tag}"),
                "created_at": sq_time(at),
                "data": {"type": data_type, "id": obj_id, "object": {key: obj}},
            }
        )
        raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
        sent = at + timedelta(milliseconds=850)
        headers = {
            "content-type": "application/json",
            "square-environment": "Production",
            "square-initial-delivery-timestamp": sq_time(sent),
            "square-version": self.merchant.square_api_version,
            SIGNATURE_HEADER: sign(raw, self.merchant.signature_key, self.merchant.notification_url),
        }
        return Delivery(sent, self.merchant.notification_url, headers, raw)

    def onboarding(self) -> list[Delivery]:
        """Devices and team members appear the day before trading starts."""
        at = datetime.combine(self.world.start - timedelta(days=1), time(15), tzinfo=UTC)
        out = []
        for store in self.world.stores_of(SQUARE):
            for n, station in enumerate(store.stations):
                when = at + timedelta(minutes=n)
                obj = others.device(self.ids, station, store, self.merchant.square_merchant_id, when)
                out.append(self._event("device.created", when, "device", "device", station.external_id, obj))
            for n, person in enumerate(self.world.staff(store.key)):
                when = at + timedelta(minutes=10 + n)
                out.append(
                    self._event(
                        "team_member.created",
                        when,
                        "team_member",
                        "team_member",
                        person.external_id,
                        others.team_member(person, when),
                    )
                )
        return out

    def day(self, day: Day) -> list[Delivery]:
        out: list[Delivery] = []
        for ticket in day.tickets:
            if ticket.store.vendor == SQUARE and ticket.revision_of is None:
                out += self._ticket(ticket)
        for change in day.customer_changes:
            c = change.customer
            if c.vendor != SQUARE:
                continue
            kind = "customer.created" if change.created else "customer.updated"
            version = 0 if change.created else 1
            out.append(
                self._event(
                    kind,
                    change.at,
                    "customer",
                    "customer",
                    c.external_id,
                    others.customer(c, version, change.at),
                    tag=str(version),
                )
            )
            if change.created and c.loyalty:
                account = others.loyalty_account(self.ids, c)
                out.append(
                    self._event(
                        "loyalty.account.created",
                        change.at + timedelta(seconds=3),
                        "loyalty_account",
                        "loyalty_account",
                        account["id"],
                        account,
                    )
                )
        out += self._payouts(day)
        for ticket, at in day.disputes:
            obj = others.dispute(self.ids, ticket, at)
            out.append(
                self._event(
                    "dispute.created",
                    at,
                    "dispute",
                    "dispute",
                    obj["id"],
                    obj,
                    location=ticket.store.external_id,
                )
            )
        return sorted(out, key=lambda d: (d.at, d.body))

    def _ticket(self, ticket: Ticket) -> list[Delivery]:
        out = []
        if ticket.refund:
            for n in range(len(ticket.payments)):
                for status in ("PENDING", "COMPLETED"):
                    obj = refund(self.ids, ticket, n, status)
                    kind = "refund.created" if status == "PENDING" else "refund.updated"
                    at = refunded_at(ticket, ticket.payments[n]) + timedelta(
                        seconds=0 if status == "PENDING" else 35
                    )
                    out.append(self._event(kind, at, "refund", "refund", obj["id"], obj, tag=status))
            out.append(self._order_updated(ticket, "COMPLETED"))
            return out
        for n, p in enumerate(ticket.payments):
            card = p.method != "CASH"
            first = "APPROVED" if card else "COMPLETED"
            obj = payment(self.ids, ticket, n, first)
            out.append(
                self._event(
                    "payment.created", paid_at(ticket, p), "payment", "payment", obj["id"], obj, tag=first
                )
            )
            if card:
                final = "CANCELED" if ticket.canceled else "COMPLETED"
                obj = payment(self.ids, ticket, n, final)
                at = paid_at(ticket, p) + timedelta(seconds=40 if ticket.canceled else 2)
                out.append(
                    self._event("payment.updated", at, "payment", "payment", obj["id"], obj, tag=final)
                )
        if ticket.canceled:
            out.append(self._order_updated(ticket, "CANCELED"))
        elif ticket.customer is not None and ticket.customer.loyalty:
            at = ticket.closed_at + timedelta(seconds=4)
            obj = others.loyalty_event(self.ids, ticket, at)
            out.append(
                self._event("loyalty.event.created", at, "loyalty_event", "loyalty_event", obj["id"], obj)
            )
        return out

    def _order_updated(self, ticket: Ticket, state: str) -> Delivery:
        at = ticket.closed_at + timedelta(seconds=41 if ticket.canceled else 6)
        summary = {
            "created_at": sq_time(ticket.at),
            "location_id": ticket.store.external_id,
            "order_id": self.ids.order(ticket),
            "state": state,
            "updated_at": sq_time(at),
            "version": 4,
        }
        return self._event(
            "order.updated", at, "order_updated", "order_updated", self.ids.order(ticket), summary, tag=state
        )

    def _payouts(self, day: Day) -> list[Delivery]:
        """Yesterday's card takings, net of fees and card refunds, paid out next morning."""
        out = []
        for store in self.world.stores_of(SQUARE):
            net = 0
            for ticket in day.tickets:
                if ticket.store.key != store.key or ticket.canceled or ticket.revision_of is not None:
                    continue
                for p in ticket.payments:
                    if p.method != "CASH":
                        net += -p.amount if ticket.refund else p.amount - fee(p.amount)
            if net <= 0:
                continue
            at = datetime.combine(day.day + timedelta(days=1), time(11), tzinfo=UTC)
            obj = others.payout(
                self.ids, store, f"{store.key}/{day.day}", net, at, (day.day + timedelta(days=2)).isoformat()
            )
            out.append(
                self._event("payout.paid", at, "payout", "payout", obj["id"], obj, location=store.external_id)
            )
        return out
