"""``canary digest``: the case digest as text and HTML, and as one email to a local SMTP server; the
email module's refusals (no server, no STARTTLS) are clear messages."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import ClassVar

import pytest
import typer
from typer.testing import CliRunner

from core.cases.domain.model import Alert, Severity
from core.cases.service.consumer import FoxConsumer
from core.cases.service.mail import MailError, send
from core.cli import fox as fox_cli
from core.clock import FixedClock
from core.db.engine import make_engine
from core.db.uow import Database
from tests.support.pipeline import TEST_MASTER_KEY, TEST_SIGNING_KEY, onboarded_sqlite, settings_for

MERCHANT = "m_fox_digest"
NOW = datetime(2026, 5, 5, 8, 0, tzinfo=UTC)


class Inbox(socketserver.StreamRequestHandler):
    """Just enough SMTP to receive one message (no STARTTLS: the digest sends with it off here)."""

    received: ClassVar[list[Message]] = []

    def handle(self) -> None:
        self.wfile.write(b"220 test ESMTP\r\n")
        while line := self.rfile.readline():
            verb = line.strip().split(b" ")[0].upper()
            if verb in (b"EHLO", b"HELO"):
                self.wfile.write(b"250 test\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go ahead\r\n")
                body = b""
                while (chunk := self.rfile.readline()) != b".\r\n":
                    body += chunk
                type(self).received.append(message_from_bytes(body))
                self.wfile.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp() -> Iterator[int]:
    Inbox.received = []
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Inbox)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _world(tmp_path: Path) -> str:
    url = onboarded_sqlite(tmp_path, MERCHANT)
    db = Database(make_engine(url))
    alerts = [
        Alert(
            f"det_{s}_{i}",
            "Q-VR-03",
            "void_return",
            Severity.LOW,
            "fraud",
            NOW - timedelta(hours=5, minutes=i),
            employee_id="sq:employee:TM1",
            location_id="sq:location:L1",
            drawer_session_id=f"sess_{s}",
        )
        for s in range(2)
        for i in range(3)
    ]
    FoxConsumer(db, FixedClock(NOW - timedelta(hours=4))).process(MERCHANT, alerts)
    db.dispose()
    return url


def _cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, **env: str) -> typer.Typer:
    for key, value in {
        "CANARY_DATABASE_URL": url,
        "CANARY_VAR_DIR": str(tmp_path),
        "CANARY_MASTER_KEY": TEST_MASTER_KEY,
        "CANARY_LEDGER_SIGNING_KEY": TEST_SIGNING_KEY,
        **env,
    }.items():
        monkeypatch.setenv(key, value)
    app = typer.Typer()
    fox_cli.register(app)
    app.callback()(lambda: None)
    return app


def test_the_digest_prints_the_days_cases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = _cli(tmp_path, monkeypatch, _world(tmp_path))
    end = ["--end", NOW.isoformat()]
    text = CliRunner().invoke(app, ["digest", "--merchant", MERCHANT, *end])
    page = CliRunner().invoke(app, ["digest", "--merchant", MERCHANT, "--html", *end])
    weekly = CliRunner().invoke(app, ["digest", "--merchant", MERCHANT, "--period", "weekly", *end])
    bad = CliRunner().invoke(app, ["digest", "--merchant", MERCHANT, "--period", "monthly"])
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    assert lines[1:5] == [
        "Cases opened: 2",
        "Cases closed: 0",
        "Confirmed-fraud rate: n/a (no case closed)",
        "Top patterns: Q-VR-03 (6)",
    ]
    assert lines[-1].startswith("  sq:location:L1: 2 open, highest medium (case_")
    assert page.output.startswith("<html><body><h1>Case digest (daily)</h1>")
    assert "Case digest (weekly)" in weekly.output
    assert bad.exit_code == 2
    assert "--period must be daily or weekly" in bad.output


def test_send_mails_one_digest_with_text_and_html(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp: int
) -> None:
    env = {
        "CANARY_SMTP_HOST": "127.0.0.1",
        "CANARY_SMTP_PORT": str(smtp),
        "CANARY_SMTP_STARTTLS": "false",
        "CANARY_SMTP_FROM": "lp@greenleaf.example",
    }
    app = _cli(tmp_path, monkeypatch, _world(tmp_path), **env)
    args = [
        "digest",
        "--merchant",
        MERCHANT,
        "--end",
        NOW.isoformat(),
        "--send",
        "--to",
        "gm@greenleaf.example",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    [mail] = Inbox.received
    assert (mail["From"], mail["To"]) == ("lp@greenleaf.example", "gm@greenleaf.example")
    assert mail["Subject"] == f"Canary daily case digest for {MERCHANT}: 2 opened, 0 closed"
    parts = {
        p.get_content_type(): p.get_payload(decode=True).decode() for p in mail.walk() if not p.is_multipart()
    }
    assert "Cases opened: 2" in parts["text/plain"]
    assert "<h2>Open cases by store</h2>" in parts["text/html"]


def test_mail_refusals_name_what_to_set(tmp_path: Path, smtp: int) -> None:
    with pytest.raises(MailError, match="set CANARY_SMTP_HOST"):
        send(settings_for("sqlite://", tmp_path, redis=False), ["a@b.example"], "s", "t", "<p>h</p>")
    starttls = settings_for("sqlite://", tmp_path, redis=False, smtp_host="127.0.0.1", smtp_port=smtp)
    with pytest.raises(MailError, match="does not offer STARTTLS"):
        send(starttls, ["a@b.example"], "s", "t", "<p>h</p>")
    assert Inbox.received == []


def test_the_escalation_commands_set_and_list_a_tenants_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _cli(tmp_path, monkeypatch, _world(tmp_path))
    before = CliRunner().invoke(app, ["escalation", "list", "--merchant", MERCHANT])
    rule = ["--name", "two a day", "--min-count", "2", "--within-days", "1", "--to", "high"]
    added = CliRunner().invoke(app, ["escalation", "set", "--merchant", MERCHANT, *rule])
    bad = CliRunner().invoke(app, ["escalation", "set", "--merchant", MERCHANT, *rule[:-1], "urgent"])
    after = CliRunner().invoke(app, ["escalation", "list", "--merchant", MERCHANT])
    assert before.output.startswith("default rules:")
    assert added.exit_code == 0, added.output
    assert bad.exit_code == 2
    assert "malformed" in bad.output
    assert after.output.startswith("tenant rules:")
    assert "two a day: 2 low-or-higher detections within 1 days (threshold 2) → high" in after.output
