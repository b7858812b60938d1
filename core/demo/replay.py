"""A simulated world into a running Canary, the three ways real data arrives:

- **webhooks**: each signed delivery POSTed to the ingress app (``POST /webhooks/square``) over HTTP
  in-process, signature checked as in production — or, for a bench that measures detection rather
  than the ingress, the same bodies imported as a ``BATCH`` (as ``canary backfill square --file``);
- **polling**: Square's cash drawer shifts and their events through the real poller
  (``iter_backfill``) against the world's API pages (``square_pages.SimulatedSquareApi``);
- **batch**: the Counterpoint batch directory through ``counterpoint_directory`` (as
  ``canary backfill counterpoint --dir``).

Every way ends in the inbox; ``drain`` then runs seal → parse → customers → chirp.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from starlette.testclient import TestClient

from core.adapters.square.envelope import POLLED_KEY
from core.adapters.square.polling import shift_unit
from core.bootstrap import Container
from core.demo.feed import WorldDirectory
from core.demo.square_pages import SimulatedSquareApi
from core.ingest.backfill import ImportResult, accept_all, counterpoint_directory, square_polled
from core.ingest.inbox import IncomingEvent
from core.tenancy import onboard_merchant
from core.web.app import create_app

Advance = Callable[[int], None]


@dataclass
class Delivered:
    """The ingress's answers, by HTTP status."""

    answers: dict[int, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.answers.values())

    @property
    def all_accepted(self) -> bool:
        return set(self.answers) <= {200}


def onboard(container: Container, world: WorldDirectory, cutover: datetime | None = None) -> None:
    """``cutover``: when the merchant went live (the rollout calendar's day 0), now unless given."""
    m = world.merchant
    onboard_merchant(
        container.db,
        container.keyring,
        merchant_id=m.merchant_id,
        name=m.name,
        square_merchant_id=m.square_merchant_id,
        square_notification_url=m.notification_url,
        square_signature_key=m.signature_key,
        stores=m.stores,
        created_at=cutover,
    )


def deliver_http(container: Container, world: WorldDirectory, advance: Advance) -> Delivered:
    """POST every delivery, as Square would, to the real ingress app."""
    delivered = Delivered()
    with TestClient(create_app(container)) as client:
        for delivery in world.deliveries():
            status = client.post(delivery.path, content=delivery.body, headers=delivery.headers).status_code
            delivered.answers[status] = delivered.answers.get(status, 0) + 1
            advance(1)
    return delivered


def import_webhooks(container: Container, world: WorldDirectory, advance: Advance) -> ImportResult:
    """The same bodies as a ``BATCH`` import: what the bench uses, skipping the HTTP round trips."""
    return accept_all(container.inbox, _counted(webhook_events(world), advance))


def webhook_events(world: WorldDirectory) -> Iterator[IncomingEvent]:
    """Each stored delivery's body as a ``BATCH`` unit, in delivery order."""
    for delivery in world.deliveries():
        envelope = json.loads(delivery.body)
        yield IncomingEvent(
            merchant_id=world.merchant.merchant_id,
            source="SQUARE",
            source_type="BATCH",
            raw=delivery.body,
            source_event_id=envelope.get("event_id"),
            event_type=envelope.get("type"),
        )


def poll_drawers(container: Container, world: WorldDirectory, api: SimulatedSquareApi) -> ImportResult:
    """Poll the API for every drawer shift in the window (each in its final state), after the polls
    a poller running through the window would have made earlier (``square/polled``): only those see
    a shift that was closed, reopened and closed again in between."""
    if not world.square_locations:
        return ImportResult()
    earlier = accept_all(container.inbox, _earlier_polls(world))
    units = square_polled(
        world.merchant.merchant_id, api, world.square_locations, world.poll_begin, world.poll_end
    )
    return earlier + accept_all(container.inbox, units)


def _earlier_polls(world: WorldDirectory) -> Iterator[IncomingEvent]:
    if not world.polled_file.is_file():
        return
    with world.polled_file.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            document = json.loads(line)
            meta = document[POLLED_KEY]
            unit = shift_unit(
                document["object"],
                document.get("events") or [],
                meta["location_id"],
                datetime.fromisoformat(meta["fetched_at"].replace("Z", "+00:00")),
            )
            yield IncomingEvent(
                merchant_id=world.merchant.merchant_id,
                source="SQUARE",
                source_type="POLLING",
                raw=unit.raw,
                source_event_id=unit.source_event_id,
                event_type=unit.event_type,
            )


def import_counterpoint(container: Container, world: WorldDirectory, advance: Advance) -> ImportResult:
    if not world.counterpoint_batch.is_dir():
        return ImportResult()
    units = counterpoint_directory(world.merchant.merchant_id, world.counterpoint_batch)
    return accept_all(container.inbox, _counted(units, advance))


def _counted(events: Iterator[IncomingEvent], advance: Advance) -> Iterator[IncomingEvent]:
    for event in events:
        yield event
        advance(1)
