"""``canary digest``: the case digest as text and HTML, and as one email to a local SMTP server; the
email module's refusals (no server, no STARTTLS) are clear messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

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
from tests.support.smtp import Mailbox, mailbox  # noqa: F401 (fixture)

MERCHANT = "m_fox_digest"
NOW = datetime(2026, 5, 5, 8, 0, tzinfo=UTC)


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
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    mailbox: Mailbox,  # noqa: F811
) -> None:
    env = {
        "CANARY_SMTP_HOST": "127.0.0.1",
        "CANARY_SMTP_PORT": str(mailbox.port),
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
    [mail] = mailbox.received
    assert mailbox.recipients == [["gm@greenleaf.example"]]
    assert (mail["From"], mail["To"]) == ("lp@greenleaf.example", "gm@greenleaf.example")
    assert mail["Subject"] == f"Canary daily case digest for {MERCHANT}: 2 opened, 0 closed"
    parts = {
        p.get_content_type(): p.get_payload(decode=True).decode() for p in mail.walk() if not p.is_multipart()
    }
    assert "Cases opened: 2" in parts["text/plain"]
    assert "<h2>Open cases by store</h2>" in parts["text/html"]


def test_mail_refusals_name_what_to_set(tmp_path: Path, mailbox: Mailbox) -> None:  # noqa: F811
    with pytest.raises(MailError, match="set CANARY_SMTP_HOST"):
        send(settings_for("sqlite://", tmp_path, redis=False), ["a@b.example"], "s", "t", "<p>h</p>")
    starttls = settings_for("sqlite://", tmp_path, redis=False, smtp_host="127.0.0.1", smtp_port=mailbox.port)
    with pytest.raises(MailError, match="does not offer STARTTLS"):
        send(starttls, ["a@b.example"], "s", "t", "<p>h</p>")
    assert mailbox.received == []


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
