"""Group commit for the inbox: many concurrent ``accept`` calls share one transaction per merchant.

A durable commit costs a WAL flush (about 0.25 ms here) plus a round of SQLAlchemy session set-up,
and with one transaction per webhook that, not hashing or parsing, bounds ingress. Here each
``accept`` puts ``(event, future)`` on a queue and waits; a writer thread takes what is queued (up to
``max_events``, waiting at most ``max_wait_s`` after the first for more), writes it with
``Inbox.accept_many`` (one transaction per merchant) and only then resolves the futures. So the
promise of ``Inbox.accept`` holds unchanged: it returns after the row has committed, and a 2xx still
means the event survives a crash. Two writers overlap one group's commit with the next one's
gathering.

The ingress awaits ``accept_async``: the request's event loop queues the event with an asyncio
future and goes on serving, and the writer settles every future of a group with one
``call_soon_threadsafe`` per loop after the commit. Blocking ``accept`` from a worker thread per
request cost a thread hop and two condition-variable hand-offs per webhook (a tenth of the
ingress's CPU, docs/benchmarks.md "Webhooks").

A group is written one merchant (one transaction) at a time. If a merchant's write fails, its events
are retried one by one, so one bad event fails only its own request (a 5xx the vendor retries), never
its neighbours'. Publishing after the commit never fails a write (``Inbox._publish``): an event that
committed is answered ``accepted`` even with the bus down, never ``duplicate`` on a retry.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections import defaultdict
from concurrent.futures import Future
from typing import Any

from core.bus.port import StreamBus
from core.clock import Clock
from core.db.uow import Database
from core.ingest.inbox import Acceptance, Inbox, IncomingEvent, new_inbox_id
from core.security.keyring import MerchantKeyring

log = logging.getLogger(__name__)


class _LoopFuture:
    """An asyncio future of a request's loop, settled from a writer thread (see ``_settle``)."""

    __slots__ = ("future", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop, self.future = loop, loop.create_future()


Pending = tuple[IncomingEvent, "Future[Acceptance] | _LoopFuture"]
Outcome = tuple["Future[Acceptance] | _LoopFuture", Acceptance | None, BaseException | None]


def _settle_loop(
    outcomes: list[tuple[asyncio.Future[Acceptance], Acceptance | None, BaseException | None]],
) -> None:
    for future, acceptance, exc in outcomes:
        if future.done():  # the request gave up (its timeout, a client gone): nothing to tell it
            continue
        if exc is not None:
            future.set_exception(exc)
        else:
            future.set_result(acceptance)  # type: ignore[arg-type]


def _settle(outcomes: list[Outcome]) -> None:
    """Tell every caller of a group how its event went: thread callers directly, each event loop
    with one call for all of its requests."""
    by_loop: dict[asyncio.AbstractEventLoop, list[Any]] = defaultdict(list)
    for waiter, acceptance, exc in outcomes:
        if isinstance(waiter, _LoopFuture):
            by_loop[waiter.loop].append((waiter.future, acceptance, exc))
        elif exc is not None:
            waiter.set_exception(exc)
        else:
            waiter.set_result(acceptance)  # type: ignore[arg-type]
    for loop, items in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle_loop, items)
        except RuntimeError:  # that loop has closed: nobody is waiting any more
            continue


class InboxClosedError(RuntimeError):
    pass


class GroupCommitInbox(Inbox):
    def __init__(
        self,
        db: Database,
        bus: StreamBus,
        keyring: MerchantKeyring,
        clock: Clock,
        *,
        dedup_hours: int,
        max_events: int = 64,
        max_wait_s: float = 0.002,
        writers: int = 2,
        timeout_s: float = 30.0,
    ) -> None:
        super().__init__(db, bus, keyring, clock, dedup_hours=dedup_hours)
        self._queue: queue.SimpleQueue[Pending | None] = queue.SimpleQueue()
        self._max_events, self._max_wait, self._timeout = max_events, max_wait_s, timeout_s
        self._closed = False
        self._threads = [
            threading.Thread(target=self._write_loop, name=f"inbox-group-commit-{i}", daemon=True)
            for i in range(writers)
        ]
        for thread in self._threads:
            thread.start()

    def accept(self, event: IncomingEvent) -> Acceptance:
        """Durably record one event (sharing a transaction with concurrent callers), then return."""
        if self._closed:
            raise InboxClosedError("the inbox is shutting down")
        future: Future[Acceptance] = Future()
        self._queue.put((event, future))
        return future.result(timeout=self._timeout)

    async def accept_async(self, event: IncomingEvent) -> Acceptance:
        """``accept`` for a coroutine on an event loop, without a thread per waiting request."""
        if self._closed:
            raise InboxClosedError("the inbox is shutting down")
        waiter = _LoopFuture(asyncio.get_running_loop())
        self._queue.put((event, waiter))
        return await asyncio.wait_for(waiter.future, self._timeout)

    def close(self) -> None:
        """Finish what is queued, then stop the writers."""
        self._closed = True
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout=self._timeout)

    def _gather(self, first: Pending) -> tuple[list[Pending], bool]:
        """``first`` plus whatever arrives within ``max_wait_s``; True if a stop sentinel was taken."""
        group, deadline = [first], time.monotonic() + self._max_wait
        while len(group) < self._max_events:
            remaining = deadline - time.monotonic()
            try:
                item = self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                return group, True
            group.append(item)
        return group, False

    def _write_loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group, stop = self._gather(first)
            self._write(group)
            if stop:
                return

    def _write(self, group: list[Pending]) -> None:
        # Per merchant, its own transaction, so when one fails the others' commits stand and only its
        # events are retried (a retry of a committed event would say "duplicate").
        by_merchant: dict[str, list[Pending]] = {}
        for pending in group:
            by_merchant.setdefault(pending[0].merchant_id, []).append(pending)
        # Ids chosen once: if a COMMIT went through but its answer was lost with the connection,
        # the retries below find their own ids and answer "accepted" (accept_many).
        now = self._clock.now()
        chosen = {m: [new_inbox_id(now) for _ in pendings] for m, pendings in by_merchant.items()}
        if len(by_merchant) > 1:
            # First the whole group in one transaction (one commit instead of one per merchant);
            # if that fails, each merchant on its own as below, so one merchant's bad event still
            # fails only its own request.
            try:
                accepted_by = self.accept_merchants(
                    {m: ([e for e, _ in pendings], chosen[m]) for m, pendings in by_merchant.items()}
                )
            except Exception:
                log.info("group write failed; writing merchant by merchant", exc_info=True)
            else:
                _settle(
                    [
                        (waiter, acceptance, None)
                        for m, pendings in by_merchant.items()
                        for (_, waiter), acceptance in zip(pendings, accepted_by[m], strict=True)
                    ]
                )
                return
        for merchant_id, pendings in by_merchant.items():
            ids = chosen[merchant_id]
            try:
                accepted = self.accept_many([event for event, _ in pendings], ids)
            # The writer is the top-level handler for its callers: whatever failed must reach the
            # requests as an error (5xx) rather than kill the thread and leave them waiting.
            except Exception:  # noqa: BLE001
                _settle(
                    [
                        self._write_one(event, waiter, inbox_id)
                        for (event, waiter), inbox_id in zip(pendings, ids, strict=True)
                    ]
                )
                continue
            # Each merchant's callers hear as soon as its transaction committed.
            _settle(
                [
                    (waiter, acceptance, None)
                    for (_, waiter), acceptance in zip(pendings, accepted, strict=True)
                ]
            )

    def _write_one(
        self, event: IncomingEvent, waiter: Future[Acceptance] | _LoopFuture, inbox_id: str
    ) -> Outcome:
        try:
            return (waiter, self.accept_many([event], [inbox_id])[0], None)
        except Exception as exc:  # noqa: BLE001 — delivered to the one request it belongs to
            return (waiter, None, exc)
