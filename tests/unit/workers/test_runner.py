"""The worker runner over the in-process bus, with scripted stages and a clock the test moves."""

from __future__ import annotations

import logging
import signal
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import psycopg
import pytest
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError, ProgrammingError

from core.bus.memory import InProcessBus
from core.bus.port import EVENTS, BusError, Message
from core.db.engine import StorageUnavailableError, is_transient
from core.workers import runner as runner_module
from core.workers.runner import WorkerRunner, describe

IDLE_MS = 30_000


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class ScriptedStage:
    """Fails messages named in `poison` always and those in `flaky` that many times, then succeeds."""

    poison: set[str] = field(default_factory=set)
    flaky: dict[str, int] = field(default_factory=dict)
    handled: list[str] = field(default_factory=list)
    batch_sizes: list[int] = field(default_factory=list)
    name: str = "scripted"
    stream: str = EVENTS
    group: str = "scripted"

    def handle(self, batch: Sequence[Message]) -> None:
        self.batch_sizes.append(len(batch))
        for message in batch:
            n = message.fields["n"]
            if n in self.poison:
                raise ValueError(f"cannot parse\n  payload {n}")
            if self.flaky.get(n, 0) > 0:
                self.flaky[n] -= 1
                raise ConnectionError("database went away")
        self.handled += [m.fields["n"] for m in batch]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def bus(clock: FakeClock) -> InProcessBus:
    return InProcessBus(prefix="test:", clock=clock)


def publish(bus: InProcessBus, n: int) -> None:
    for i in range(n):
        bus.publish(EVENTS, {"n": str(i)})


def make_runner(
    bus: InProcessBus,
    stage: ScriptedStage,
    *,
    batch_size: int = 10,
    block_ms: int = 0,
    claim_idle_ms: int = IDLE_MS,
    max_deliveries: int = 3,
) -> WorkerRunner:
    return WorkerRunner(
        bus,
        stage,
        consumer="w1",
        batch_size=batch_size,
        block_ms=block_ms,
        claim_idle_ms=claim_idle_ms,
        max_deliveries=max_deliveries,
    )


def test_a_successful_batch_is_handled_once_and_acked(bus: InProcessBus) -> None:
    stage = ScriptedStage()
    publish(bus, 5)
    runner = make_runner(bus, stage)
    assert runner.run_until_idle() == 5
    assert stage.handled == ["0", "1", "2", "3", "4"]
    assert stage.batch_sizes == [5]
    stats = bus.stats(EVENTS, stage.group)
    assert (stats.pending, stats.lag, stats.dead_letters) == (0, 0, 0)
    assert (runner.processed, runner.failed, runner.dead_lettered, runner.batches) == (5, 0, 0, 1)


def test_a_poison_message_is_dead_lettered_after_max_deliveries_while_the_rest_succeed(
    bus: InProcessBus, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    stage = ScriptedStage(poison={"2"})
    publish(bus, 5)
    runner = make_runner(bus, stage, max_deliveries=3)
    with caplog.at_level(logging.INFO, logger="core.workers.runner"):
        runner.run_until_idle()
        assert stage.handled == ["0", "1", "3", "4"]
        assert bus.stats(EVENTS, stage.group).pending == 1
        clock.now += IDLE_MS  # idle long enough to be claimed: second delivery, fails again
        runner.run_until_idle()
        assert (runner.failed, runner.dead_lettered) == (2, 0)
        clock.now += IDLE_MS  # third delivery reaches max_deliveries
        runner.run_until_idle()
    (dead,) = bus.read_dead_letters(EVENTS)
    assert (dead.fields, dead.deliveries, dead.group) == ({"n": "2"}, 3, stage.group)
    assert dead.error == "ValueError: cannot parse payload 2"
    assert bus.stats(EVENTS, stage.group).pending == 0
    assert (runner.processed, runner.failed, runner.dead_lettered) == (4, 3, 1)
    (record,) = [r for r in caplog.records if r.getMessage() == "message dead-lettered"]
    context = {key: getattr(record, key) for key in ("stage", "consumer", "message_id", "deliveries")}
    assert context == {"stage": "scripted", "consumer": "w1", "message_id": dead.original_id, "deliveries": 3}


def test_a_transient_failure_is_retried_after_the_claim_window_and_then_succeeds(
    bus: InProcessBus, clock: FakeClock
) -> None:
    stage = ScriptedStage(flaky={"1": 2})  # fails in the batch and alone, then recovers
    publish(bus, 3)
    runner = make_runner(bus, stage)
    runner.run_until_idle()
    assert stage.handled == ["0", "2"]
    clock.now += IDLE_MS - 1
    assert runner.run_until_idle() == 0  # not idle long enough to be taken back yet
    clock.now += 1
    assert runner.run_until_idle() == 1
    assert stage.handled == ["0", "2", "1"]
    assert bus.read_dead_letters(EVENTS) == []
    assert bus.stats(EVENTS, stage.group).pending == 0


def test_run_until_idle_stops_while_a_failing_message_waits_for_its_claim_window(bus: InProcessBus) -> None:
    stage = ScriptedStage(poison={"0"})
    publish(bus, 2)
    runner = make_runner(bus, stage)
    assert runner.run_until_idle() == 1
    assert bus.stats(EVENTS, stage.group).pending == 1


def test_run_until_idle_with_no_claim_window_ends_by_dead_lettering(bus: InProcessBus) -> None:
    stage = ScriptedStage(poison={"0"})
    publish(bus, 1)
    runner = make_runner(bus, stage, claim_idle_ms=0, max_deliveries=4)
    assert runner.run_until_idle() == 0
    assert [d.deliveries for d in bus.read_dead_letters(EVENTS)] == [4]


class GatedStage(ScriptedStage):
    """Holds its first batch until released, so a stop can arrive mid-batch."""

    def __init__(self) -> None:
        super().__init__()
        self.entered, self.release = threading.Event(), threading.Event()

    def handle(self, batch: Sequence[Message]) -> None:
        self.entered.set()
        assert self.release.wait(timeout=10)
        super().handle(batch)


def test_stop_mid_batch_finishes_and_acks_the_batch_then_exits(bus: InProcessBus) -> None:
    stage = GatedStage()
    publish(bus, 10)
    runner = make_runner(bus, stage, batch_size=4, block_ms=50)
    thread = threading.Thread(target=runner.run_forever)
    thread.start()
    assert stage.entered.wait(timeout=10)
    runner.stop()
    stage.release.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert stage.handled == ["0", "1", "2", "3"]
    stats = bus.stats(EVENTS, stage.group)
    assert (stats.pending, stats.lag) == (0, 6)


def test_sigterm_during_a_batch_stops_the_loop_and_restores_the_old_handler(bus: InProcessBus) -> None:
    class SignallingStage(ScriptedStage):
        def handle(self, batch: Sequence[Message]) -> None:
            signal.raise_signal(signal.SIGTERM)
            super().handle(batch)

    stage = SignallingStage()
    publish(bus, 6)
    before = signal.getsignal(signal.SIGTERM)
    runner = make_runner(bus, stage, batch_size=4)
    runner.run_forever(install_signals=True)
    assert stage.handled == ["0", "1", "2", "3"]
    assert bus.stats(EVENTS, stage.group).pending == 0
    assert signal.getsignal(signal.SIGTERM) is before


def test_an_unreachable_bus_is_waited_out_instead_of_ending_the_worker(
    bus: InProcessBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner_module, "BUS_RETRY_SECONDS", (0.0,))
    stage = ScriptedStage()
    runner = make_runner(bus, stage)
    outages = iter([BusError("Redis is unreachable"), BusError("Redis is unreachable")])
    real_read = bus.read

    def flaky_read(*args: object, **kwargs: object) -> list[Message]:
        failure = next(outages, None)
        if failure is not None:
            raise failure
        messages = real_read(*args, **kwargs)  # type: ignore[arg-type]
        if messages:
            runner.stop()  # the batch just read is still finished and acked
        return messages

    monkeypatch.setattr(bus, "read", flaky_read)
    publish(bus, 2)
    runner.run_forever()
    assert stage.handled == ["0", "1"]
    assert bus.stats(EVENTS, stage.group).pending == 0


def test_describe_gives_type_and_message_on_one_line() -> None:
    assert describe(ValueError("bad\n   thing")) == "ValueError: bad thing"
    assert describe(KeyError()) == "KeyError"
    assert len(describe(RuntimeError("x" * 10_000))) == runner_module.ERROR_LIMIT


@dataclass
class OutageStage(ScriptedStage):
    """The database is away for the first ``outage`` hand-overs, then back."""

    outage: int = 0
    on_failure: list[object] = field(default_factory=list)

    def handle(self, batch: Sequence[Message]) -> None:
        self.batch_sizes.append(len(batch))
        if self.outage > 0:
            self.outage -= 1
            for callback in self.on_failure:
                callback()  # type: ignore[operator]
            raise StorageUnavailableError("database unavailable at postgresql://…: connection refused")
        self.handled += [m.fields["n"] for m in batch]


def test_a_database_outage_is_waited_out_on_the_same_batch_without_burning_deliveries(
    bus: InProcessBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner_module, "BUS_RETRY_SECONDS", (0.0,))
    stage = OutageStage(outage=6)  # longer than max_deliveries: a poison message would be dead by now
    publish(bus, 3)
    runner = make_runner(bus, stage, max_deliveries=2)
    assert runner.run_until_idle() == 3
    assert stage.handled == ["0", "1", "2"]
    assert stage.batch_sizes == [3] * 7  # the same batch handed over again, never split or re-claimed
    assert (runner.failed, runner.dead_lettered) == (0, 0)
    assert bus.read_dead_letters(EVENTS) == []
    assert bus.stats(EVENTS, stage.group).pending == 0


def test_stopping_during_a_database_outage_leaves_the_batch_pending_not_dead_lettered(
    bus: InProcessBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner_module, "BUS_RETRY_SECONDS", (0.0,))
    stage = OutageStage(outage=1_000)
    publish(bus, 3)
    runner = make_runner(bus, stage, max_deliveries=1)
    stage.on_failure.append(lambda: len(stage.batch_sizes) >= 3 and runner.stop())
    runner.run_until_idle()
    assert stage.handled == []
    assert (runner.failed, runner.dead_lettered) == (0, 0)
    assert bus.read_dead_letters(EVENTS) == []
    assert bus.stats(EVENTS, stage.group).pending == 3  # a later worker takes them over


def _wrapped(cls: type[DBAPIError], orig: Exception) -> DBAPIError:
    return cls("INSERT …", {}, orig)


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (StorageUnavailableError("database unavailable"), True),
        (
            _wrapped(OperationalError, psycopg.OperationalError("server closed the connection unexpectedly")),
            True,
        ),
        (_wrapped(OperationalError, psycopg.errors.AdminShutdown("terminating connection")), True),
        (
            _wrapped(OperationalError, psycopg.errors.CannotConnectNow("the database system is starting up")),
            True,
        ),
        (_wrapped(OperationalError, psycopg.errors.DeadlockDetected("deadlock detected")), True),
        (psycopg.errors.AdminShutdown("terminating connection"), True),
        (
            _wrapped(OperationalError, psycopg.errors.QueryCanceled("canceling statement due to timeout")),
            False,
        ),
        (_wrapped(OperationalError, sqlite3.OperationalError("database is locked")), True),
        (_wrapped(OperationalError, sqlite3.OperationalError("no such table: inbox")), False),
        (_wrapped(DataError, psycopg.errors.StringDataRightTruncation("value too long")), False),
        (_wrapped(IntegrityError, psycopg.errors.UniqueViolation("duplicate key")), False),
        (_wrapped(ProgrammingError, psycopg.errors.UndefinedTable("relation does not exist")), False),
        (ValueError("cannot parse"), False),
        (ConnectionError("Redis went away"), False),  # the bus has its own BusError path
    ],
)
def test_is_transient_tells_a_database_that_is_away_from_work_that_is_wrong(
    exc: BaseException, transient: bool
) -> None:
    assert is_transient(exc) is transient


def test_under_load_a_batch_gathers_for_the_linger_and_an_idle_read_does_not_wait(bus: InProcessBus) -> None:
    stage = ScriptedStage()
    runner = WorkerRunner(bus, stage, consumer="c1", batch_size=10, block_ms=5, linger_ms=40)
    waits: list[float | None] = []

    def wait(seconds: float | None = None) -> bool:
        waits.append(seconds)
        return False

    runner._stopping.wait = wait  # type: ignore[method-assign,assignment]
    publish(bus, 3)
    runner.run_once(block_ms=5)  # after start-up (nothing read before): no wait
    assert waits == []
    publish(bus, 2)  # the last read found work, less than a batch: let the next gather
    runner.run_once(block_ms=5)
    assert waits == [0.04]
    runner.run_once(block_ms=5)  # again after a read of 2, which returns nothing
    runner.run_once(block_ms=5)  # after an empty read: no wait
    assert waits == [0.04, 0.04]
    publish(bus, 25)
    runner.run_once(block_ms=5)
    runner.run_once(block_ms=5)  # the last read was a full batch: a backlog, read at once
    assert waits == [0.04, 0.04]
    assert runner.run_once(block_ms=0) == 5  # run_until_idle's reads never wait
    assert waits == [0.04, 0.04]
    assert stage.batch_sizes == [3, 2, 10, 10, 5]
