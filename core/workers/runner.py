"""The worker loop: the only code that knows about consumer groups.

A stage is a batch handler that applies its effects idempotently and raises on failure. The runner
feeds it: claim entries stuck with a dead or slow consumer, read new ones, hand over a batch, ack
what succeeded. Delivery is at-least-once, which the stages' idempotence turns into effectively-once.

When a batch fails the runner retries its messages one at a time, so a single poison message cannot
hold back the rest: the good ones are acked, the bad one stays pending and comes back (through
`claim_idle`, with its delivery count raised) until it has failed `max_deliveries` times; then it is
dead-lettered with its error and the stream moves on.

A database that is away (restarting, its connections terminated, a deadlock) is not the message's
fault: the runner waits it out with back-off and hands the same batch over again, without claiming
it anew, so an outage of any length neither raises delivery counts nor dead-letters anything.
"""

from __future__ import annotations

import logging
import re
import signal
import threading
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any, Protocol

from core.bus.port import BusError, Message, StreamBus
from core.db.engine import is_transient

log = logging.getLogger(__name__)

ERROR_LIMIT = 500  # characters of an error kept on a dead letter or a log row: enough to diagnose
BUS_RETRY_SECONDS = (0.5, 1.0, 2.0, 5.0)  # back-off while the bus (or the database) is unreachable
SignalHandler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


class Stage(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def stream(self) -> str: ...

    @property
    def group(self) -> str: ...

    def handle(self, batch: Sequence[Message]) -> None:
        """Apply the batch's effects idempotently; raise if any message could not be handled."""
        ...


# A value the driver quotes in its first line (``invalid input syntax for type integer: "4111"``,
# ``'abc'``); double-quoted identifiers (column "total", constraint "pk") are kept.
_VALUES = re.compile(r"'[^']*'|(?<=: )\"[^\"]*\"")


def describe(exc: BaseException, limit: int = ERROR_LIMIT) -> str:
    """`Type: message` on one line, free of payload values; tracebacks go to the log only.

    A database error wrapped by SQLAlchemy carries the statement and its bound parameters (values
    from the decrypted payload): only its class, the driver's error class and the first line of the
    driver's message are kept (no DETAIL line), with quoted values blanked."""
    orig = getattr(exc, "orig", None)
    if isinstance(orig, BaseException):
        first = next(iter(str(orig).strip().splitlines()), "")
        text = _VALUES.sub('"…"', " ".join(first.split()))
        described = f"{type(exc).__name__}: {type(orig).__name__}: {text}" if text else type(orig).__name__
        return described[:limit]
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:limit] if text else type(exc).__name__


class WorkerRunner:
    def __init__(
        self,
        bus: StreamBus,
        stage: Stage,
        *,
        consumer: str,
        batch_size: int = 100,
        block_ms: int = 1_000,
        claim_idle_ms: int = 30_000,
        max_deliveries: int = 5,
        linger_ms: int = 0,
        logger: logging.Logger | None = None,
    ) -> None:
        self.bus, self.stage, self.consumer = bus, stage, consumer
        self.batch_size, self.block_ms, self.linger_ms = batch_size, block_ms, linger_ms
        self._last_read = 0  # how many new messages the last read returned
        self.claim_idle_ms, self.max_deliveries = claim_idle_ms, max_deliveries
        self.log = logger or log
        self.processed = self.failed = self.dead_lettered = self.batches = 0
        self._stopping = threading.Event()
        self._ready = False

    def stop(self) -> None:
        """Ask the loop to exit after the batch in hand is finished and acked. Safe from any thread."""
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def run_forever(self, *, install_signals: bool = False) -> None:
        """Process until `stop()`; with `install_signals` (main thread only) SIGTERM/SIGINT stop too.

        An unreachable bus is waited out with back-off rather than ending the worker: the supervisor
        would only restart it into the same outage. After any bus error the consumer group is
        ensured again, so a Redis that lost its streams and groups is read again within a second.
        """
        previous = self._install_signals() if install_signals else {}
        failures = 0
        self._log(logging.INFO, "worker started")
        try:
            while not self.stopping:
                try:
                    self.run_once(block_ms=self.block_ms)
                    failures = 0
                except BusError as exc:
                    # The server may have lost its data (a restart without persistence, FLUSHALL):
                    # the group is created again before the next read, which NOGROUP would refuse.
                    self._ready = False
                    delay = BUS_RETRY_SECONDS[min(failures, len(BUS_RETRY_SECONDS) - 1)]
                    failures += 1
                    self._log(logging.ERROR, "bus unavailable, retrying", error=str(exc), retry_in_s=delay)
                    self._stopping.wait(delay)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        self._log(logging.INFO, "worker stopped", processed=self.processed, dead_lettered=self.dead_lettered)

    def run_until_idle(self) -> int:
        """Process until nothing is new or claimable (the embedded demo and tests); returns how many
        messages were handled successfully. Messages still failing but not yet idle are left pending."""
        before = self.processed
        while not self.stopping and self.run_once(block_ms=0):
            pass
        return self.processed - before

    def run_once(self, *, block_ms: int = 0) -> int:
        """One iteration: stuck entries first, then new ones. Returns how many messages it saw."""
        if not self._ready:
            self.bus.ensure_group(self.stage.stream, self.stage.group)
            self._ready = True
        claimed = self.bus.claim_idle(
            self.stage.stream,
            self.stage.group,
            self.consumer,
            min_idle_ms=self.claim_idle_ms,
            count=self.batch_size,
        )
        if claimed:
            self._process(claimed)
        if self.stopping:
            return len(claimed)
        if self.linger_ms and block_ms and 0 < self._last_read < self.batch_size:
            # Under load (the last read found work, but less than a batch) let a batch gather: a
            # batch's round trips and commit cost the same for 20 events as for 200. After an idle
            # read the first new message is handled at once.
            self._stopping.wait(self.linger_ms / 1000)
        # Do not block for new work while reclaimed work shows the stream is busy.
        fresh = self.bus.read(
            self.stage.stream,
            self.stage.group,
            self.consumer,
            count=self.batch_size,
            block_ms=0 if claimed else block_ms,
        )
        self._last_read = len(fresh)
        if fresh:
            self._process(fresh)
        return len(claimed) + len(fresh)

    def _process(self, batch: Sequence[Message]) -> None:
        self.batches += 1
        try:
            self._handle(batch)
        except Exception as exc:  # noqa: BLE001 - the worker's top-level handler: isolate, never crash
            if is_transient(exc):  # only when stopping mid-outage: left pending, counted against nothing
                return
            if len(batch) == 1:
                self._failed(batch[0], exc)
                return
            self._log(
                logging.WARNING, "batch failed, retrying one at a time", size=len(batch), error=describe(exc)
            )
            for message in batch:
                self._process_one(message)
            return
        self._ack(batch)

    def _handle(self, batch: Sequence[Message]) -> None:
        """``stage.handle``, waiting out a database that is away: the same batch is handed over again
        after a back-off until it succeeds, fails for a reason of its own, or the worker stops."""
        failures = 0
        while True:
            try:
                self.stage.handle(batch)
                return
            except Exception as exc:
                if not is_transient(exc) or self.stopping:
                    raise
                delay = BUS_RETRY_SECONDS[min(failures, len(BUS_RETRY_SECONDS) - 1)]
                failures += 1
                self._log(
                    logging.WARNING,
                    "database unavailable, retrying the batch",
                    size=len(batch),
                    error=describe(exc),
                    retry_in_s=delay,
                )
                self._stopping.wait(delay)

    def _process_one(self, message: Message) -> None:
        try:
            self._handle([message])
        except Exception as exc:  # noqa: BLE001 - see _process
            if not is_transient(exc):
                self._failed(message, exc)
            return
        self._ack([message])

    def _ack(self, messages: Sequence[Message]) -> None:
        self.bus.ack(self.stage.stream, self.stage.group, [m.id for m in messages])
        self.processed += len(messages)

    def _failed(self, message: Message, exc: Exception) -> None:
        self.failed += 1
        error = describe(exc)
        fields = {"message_id": message.id, "deliveries": message.deliveries, "error": error}
        if message.deliveries < self.max_deliveries:
            # Left pending: after claim_idle_ms a claim (by us or another worker) delivers it again.
            self._log(logging.WARNING, "message failed, will be redelivered", exc_info=exc, **fields)
            return
        self.bus.dead_letter(self.stage.stream, self.stage.group, message, error)
        self.dead_lettered += 1
        self._log(logging.ERROR, "message dead-lettered", exc_info=exc, **fields)

    def _install_signals(self) -> dict[int, SignalHandler]:
        def on_signal(signum: int, _frame: FrameType | None) -> None:
            self._log(logging.INFO, "stop requested, finishing the batch in hand", signal=signum)
            self.stop()

        previous: dict[int, SignalHandler] = {}
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.getsignal(signum)
            signal.signal(signum, on_signal)
        return previous

    def _log(
        self, level: int, event: str, *, exc_info: BaseException | None = None, **fields: object
    ) -> None:
        context = {
            "stage": self.stage.name,
            "stream": self.stage.stream,
            "group": self.stage.group,
            "consumer": self.consumer,
        }
        self.log.log(level, event, exc_info=exc_info, extra={**context, **fields})
