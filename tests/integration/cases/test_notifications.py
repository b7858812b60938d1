"""Case notifications on SQLite and Postgres: a case reaching the target's severity sends one signed
webhook to a local receiver (the signature verifies with the secret given once), redeliveries and
later bumps send nothing more, a receiver that is down gets the notification once it is back (with
backoff in between, failures in the log), and an email target gets one message from a local SMTP
server."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from core.cases.domain.model import Alert, Severity
from core.cases.service.consumer import FoxConsumer
from core.cases.service.notify import FoxNotifier, NotifyError
from core.clock import FixedClock
from core.db.tables.tenants import Merchant
from core.db.uow import Database
from core.security.keyring import MerchantKeyring
from tests.support.pipeline import settings_for
from tests.support.smtp import Mailbox, mailbox  # noqa: F401 (fixture)

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


@dataclass
class Receiver:
    url: str
    status: int = 200
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    accepted: list[bytes] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append((dict(self.headers.items()), body))
            if state.status == 200:
                state.accepted.append(body)
            self.send_response(state.status)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _setup(
    db: Database, tmp_path: Path, **settings: object
) -> tuple[str, FixedClock, FoxConsumer, FoxNotifier]:
    merchant_id = f"m_{uuid.uuid4().hex[:12]}"
    with db.tenant(merchant_id) as s:
        s.add(Merchant(id=merchant_id, name="Greenleaf Garden Center"))
    clock = FixedClock(T0 + timedelta(hours=1))
    notifier = FoxNotifier(
        db, MerchantKeyring(b"k" * 32), clock, settings_for("sqlite://", tmp_path, redis=False, **settings)
    )
    return merchant_id, clock, FoxConsumer(db, clock), notifier


def _voids(n: int, start: int = 0) -> list[Alert]:
    return [
        Alert(
            f"det_{i}",
            "Q-VR-03",
            "void_return",
            Severity.LOW,
            "fraud",
            T0 + timedelta(minutes=i),
            employee_id="sq:employee:TM1",
            location_id="sq:location:L1",
            drawer_session_id="sess_1",
        )
        for i in range(start, start + n)
    ]


def test_a_case_reaching_the_severity_sends_one_signed_webhook(
    any_db: Database, tmp_path: Path, receiver: Receiver
) -> None:
    merchant_id, _clock, consumer, notifier = _setup(any_db, tmp_path)
    target, secret = notifier.add_target(merchant_id, "webhook", receiver.url, "medium", actor="op")
    assert secret is not None
    consumer.process(merchant_id, _voids(2))  # two lows: the case is low
    assert (notifier.deliver(merchant_id).delivered, notifier.log(merchant_id)) == (0, [])
    consumer.process(merchant_id, _voids(1, start=2))  # a third low in 7 days escalates to medium
    consumer.process(merchant_id, _voids(3))  # redelivered
    consumer.process(merchant_id, _voids(1, start=3))  # a fourth: still medium, nothing new to send
    assert notifier.deliver(merchant_id).delivered == 1
    assert notifier.deliver(merchant_id).delivered == 0  # delivered once
    [(headers, body)] = receiver.received
    expected = (
        "v1="
        + hmac.new(
            bytes.fromhex(secret), headers["X-Canary-Timestamp"].encode() + b"." + body, hashlib.sha256
        ).hexdigest()
    )
    assert headers["X-Canary-Signature"] == expected
    sent = json.loads(body)
    assert sent["text"].startswith("[MEDIUM] void return: employee sq:employee:TM1, drawer session sess_1")
    assert (sent["case"]["severity"], sent["case"]["detections"]) == ("medium", 3)
    [logged] = notifier.log(merchant_id)
    assert (logged.state, logged.attempts, logged.target_id) == ("delivered", 1, target.target_id)


def test_a_receiver_down_then_back_gets_every_notification_once(
    any_db: Database, tmp_path: Path, receiver: Receiver
) -> None:
    merchant_id, clock, consumer, notifier = _setup(any_db, tmp_path)
    notifier.add_target(merchant_id, "webhook", receiver.url, "low", actor="op")
    receiver.status = 503
    consumer.process(merchant_id, _voids(1))
    first = notifier.deliver(merchant_id)
    [failing] = notifier.log(merchant_id)
    assert (first.failed, failing.state, failing.attempts, failing.last_error) == (
        1,
        "pending",
        1,
        "HTTP 503",
    )
    assert failing.next_attempt_at == clock.now() + timedelta(seconds=30)
    assert notifier.deliver(merchant_id).failed == 0  # not due yet: backoff
    clock.advance(seconds=31)
    notifier.deliver(merchant_id)
    assert notifier.log(merchant_id)[0].next_attempt_at == clock.now() + timedelta(seconds=60)  # doubled
    receiver.status = 200
    clock.advance(seconds=61)
    assert notifier.deliver(merchant_id).delivered == 1
    clock.advance(hours=2)
    assert notifier.deliver(merchant_id).delivered == 0
    assert len(receiver.received) == 3
    assert len(receiver.accepted) == 1
    assert notifier.log(merchant_id)[0].state == "delivered"


def test_an_email_target_gets_one_message(any_db: Database, tmp_path: Path, mailbox: Mailbox) -> None:  # noqa: F811
    merchant_id, _clock, consumer, notifier = _setup(
        any_db, tmp_path, smtp_host="127.0.0.1", smtp_port=mailbox.port, smtp_starttls=False
    )
    notifier.add_target(merchant_id, "email", "lp@greenleaf.example", "low", actor="op")
    consumer.process(merchant_id, _voids(1))
    assert notifier.deliver(merchant_id).delivered == 1
    [mail] = mailbox.received
    assert mailbox.recipients == [["lp@greenleaf.example"]]
    assert mail["To"] == "lp@greenleaf.example"
    assert mail["Subject"].startswith("[LOW] void return")


def test_a_bad_target_is_refused_with_its_reason(any_db: Database, tmp_path: Path) -> None:
    merchant_id, _clock, _consumer, notifier = _setup(any_db, tmp_path)
    for kind, address, severity, message in (
        ("sms", "x", "low", "kind must be webhook or email"),
        ("webhook", "ftp://x", "low", "http(s) URL"),
        ("email", "nobody", "low", "not an email address"),
        ("email", "a@b.example", "urgent", "min severity must be one of"),
    ):
        with pytest.raises(NotifyError, match=message.replace("(", r"\(").replace(")", r"\)")):
            notifier.add_target(merchant_id, kind, address, severity, actor="op")
    assert notifier.targets(merchant_id) == []


def test_the_notify_commands_add_a_target_and_show_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    from typer.testing import CliRunner

    from tests.integration.cases.test_digest import MERCHANT, _cli, _world

    app = _cli(tmp_path, monkeypatch, _world(tmp_path))
    added = CliRunner().invoke(
        app, ["notify", "add", "--merchant", MERCHANT, "--webhook", receiver.url, "--min-severity", "low"]
    )
    neither = CliRunner().invoke(app, ["notify", "add", "--merchant", MERCHANT])
    listed = CliRunner().invoke(app, ["notify", "list", "--merchant", MERCHANT])
    log = CliRunner().invoke(app, ["notify", "log", "--merchant", MERCHANT, "--deliver"])
    assert added.exit_code == 0, added.output
    assert "signing secret (shown once): " in added.output
    assert neither.exit_code == 2
    assert f"webhook  from low       {receiver.url}" in listed.output
    assert log.exit_code == 0, log.output
    assert "delivered 0, failed 0" in log.output  # the world's cases opened before the target existed
