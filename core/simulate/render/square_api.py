"""The Square API as a directory, for a fake Square API to serve (and for backfill through the poller):

- ``square/api/orders/<location>/<date>.json``: ``{"orders": [...]}`` (SearchOrders / BatchRetrieveOrders)
- ``square/api/payments/<location>/<date>.json``: ``{"payments": [...]}`` (ListPayments), final states
- ``square/api/refunds/<location>/<date>.json``: ``{"refunds": [...]}`` (ListPaymentRefunds)
- ``square/api/cash_drawer_shifts/<location>/<date>.json``: ``{"cash_drawer_shifts": [...]}`` — full
  CashDrawerShift objects (a superset of ListCashDrawerShifts' summaries; a fake summarises them)
- ``square/api/cash_drawer_shift_events/<shift id>.json``: ``{"cash_drawer_shift_events": [...]}``

and ``square/polled/cash_drawer_shifts.jsonl``: each shift as the Square adapter's poller writes it,
``{"canary_polled": {"kind", "fetched_at", "location_id"}, "object": shift, "events": [...]}``, once
per state a poll would have seen (a reactivated shift: CLOSED, OPEN, CLOSED). Dates are the store's
local business date.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from core.simulate.clock import sq_time
from core.simulate.model import DrawerSession
from core.simulate.movements import Day
from core.simulate.render import square_others as others
from core.simulate.render.square_objects import order
from core.simulate.render.square_payments import payment, refund
from core.simulate.vendor_ids import VendorIds
from core.simulate.world import SQUARE

Json = dict[str, Any]


def api_files(ids: VendorIds, day: Day) -> dict[str, Json]:
    files: dict[str, Json] = {}
    stamp = day.day.isoformat()

    def add(path: str, key: str, item: Json) -> None:
        files.setdefault(path, {key: []})[key].append(item)

    for ticket in sorted(day.tickets, key=lambda t: (t.at, t.key)):
        if ticket.store.vendor != SQUARE or ticket.revision_of is not None:
            continue
        location = ticket.store.external_id
        add(f"square/api/orders/{location}/{stamp}.json", "orders", order(ids, ticket))
        for n, p in enumerate(ticket.payments):
            if ticket.refund:
                obj = refund(ids, ticket, n, "COMPLETED")
                obj.pop("version")  # webhook refunds carry a version (official examples); the API's do not
                add(f"square/api/refunds/{location}/{stamp}.json", "refunds", obj)
            else:
                status = "CANCELED" if ticket.canceled and p.method != "CASH" else "COMPLETED"
                add(
                    f"square/api/payments/{location}/{stamp}.json",
                    "payments",
                    payment(ids, ticket, n, status),
                )
    for session in sorted(day.sessions, key=lambda s: (s.opened_at, s.key)):
        if session.store.vendor != SQUARE:
            continue
        location = session.store.external_id
        add(
            f"square/api/cash_drawer_shifts/{location}/{stamp}.json",
            "cash_drawer_shifts",
            others.shift(ids, session),
        )
        files[f"square/api/cash_drawer_shift_events/{ids.shift(session)}.json"] = {
            "cash_drawer_shift_events": others.shift_events(ids, session)
        }
    return files


def polled(ids: VendorIds, day: Day) -> list[tuple[datetime, Json]]:
    """The drawer documents a poller would have written, with when it fetched each."""
    out = []
    for session in day.sessions:
        if session.store.vendor != SQUARE:
            continue
        for fetched, as_of in _polls(session):
            out.append(
                (
                    fetched,
                    {
                        "canary_polled": {
                            "kind": "cash_drawer_shift",
                            "fetched_at": sq_time(fetched),
                            "location_id": session.store.external_id,
                        },
                        "object": others.shift(ids, session, as_of),
                        "events": others.shift_events(ids, session, as_of),
                    },
                )
            )
    return sorted(out, key=lambda pair: (pair[0], pair[1]["object"]["id"]))


def _polls(session: DrawerSession) -> list[tuple[datetime, datetime | None]]:
    if session.reopened_at is None or session.reclosed_at is None:
        last = max([session.closed_at, *(e.at for e in session.events)])
        return [(last + timedelta(minutes=20), None)]
    first = session.closed_at + timedelta(minutes=5)
    during = session.reopened_at + timedelta(minutes=5)
    return [(first, first), (during, during), (session.reclosed_at + timedelta(minutes=20), None)]
