"""Scheduled case digests (core/cases/service/digests.py): a recipient subscribed daily or weekly gets
one digest per closed period of the merchant's local calendar, from a real SMTP server's point of
view; a mail server that is down gets it once it is back; a disabled subscription waits; another
tenant sees and changes none of it (both backends, Postgres as the app role under RLS)."""

from __future__ import annotations

import socket
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from core.cases.domain.digest import Period
from core.cases.domain.model import Alert, Severity
from core.cases.service.consumer import FoxConsumer
from core.cases.service.digests import DigestSchedule, last_close
from core.cases.service.notify import NotifyError
from core.cases.service.service import FoxService
from core.cli.main import app
from core.clock import FixedClock
from core.db.tables.tenants import Merchant
from core.db.uow import Database
from tests.support.pipeline import cli_env, onboarded_sqlite, settings_for
from tests.support.smtp import Mailbox, mailbox  # noqa: F401 (fixture)

CHICAGO = ZoneInfo("America/Chicago")
TUESDAY_10AM = datetime(2026, 5, 5, 10, 0, tzinfo=CHICAGO)  # 15:00 UTC


@pytest.mark.parametrize(
    ("now", "period", "close"),
    [
        (
            datetime(2026, 5, 5, 10, 0, tzinfo=CHICAGO),
            Period.DAILY,
            datetime(2026, 5, 5, 0, 0, tzinfo=CHICAGO),
        ),
        (
            datetime(2026, 5, 5, 0, 0, tzinfo=CHICAGO),
            Period.DAILY,
            datetime(2026, 5, 5, 0, 0, tzinfo=CHICAGO),
        ),
        (
            datetime(2026, 5, 5, 10, 0, tzinfo=CHICAGO),
            Period.WEEKLY,
            datetime(2026, 5, 4, 0, 0, tzinfo=CHICAGO),
        ),
        (
            datetime(2026, 5, 4, 0, 0, tzinfo=CHICAGO),
            Period.WEEKLY,
            datetime(2026, 5, 4, 0, 0, tzinfo=CHICAGO),
        ),
        (
            datetime(2026, 5, 3, 23, 59, tzinfo=CHICAGO),
            Period.WEEKLY,
            datetime(2026, 4, 27, 0, 0, tzinfo=CHICAGO),
        ),
        # the DST change (8 March 2026): the local midnight, not 24 hours after the one before
        (datetime(2026, 3, 9, 8, 0, tzinfo=UTC), Period.DAILY, datetime(2026, 3, 9, 0, 0, tzinfo=CHICAGO)),
    ],
)
def test_a_period_closes_at_the_merchants_local_midnight(
    now: datetime, period: Period, close: datetime
) -> None:
    assert last_close(now.astimezone(UTC), CHICAGO, period) == close


def _merchant(db: Database) -> str:
    merchant_id = f"m_{uuid.uuid4().hex[:12]}"
    with db.tenant(merchant_id) as s:
        s.add(Merchant(id=merchant_id, name="Greenleaf Garden Center", default_timezone="America/Chicago"))
    return merchant_id


def _schedule(db: Database, tmp_path: Path, clock: FixedClock, port: int) -> DigestSchedule:
    settings = settings_for(
        "sqlite://", tmp_path, redis=False, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False
    )
    return DigestSchedule(db, clock, settings, FoxService(db, clock).case_facts)


def _cases(db: Database, merchant_id: str, at: datetime) -> None:
    alerts = [
        Alert(f"det_{i}", "Q-VR-03", "void_return", Severity.HIGH, "fraud", at + timedelta(minutes=i),
              employee_id="sq:employee:TM1", location_id="sq:location:L1", drawer_session_id="sess_1")
        for i in range(3)
    ]  # fmt: skip
    FoxConsumer(db, FixedClock(at + timedelta(hours=1))).process(merchant_id, alerts)


def test_a_daily_subscriber_gets_one_digest_per_closed_day(
    any_db: Database,
    tmp_path: Path,
    mailbox: Mailbox,  # noqa: F811
) -> None:
    merchant_id = _merchant(any_db)
    clock = FixedClock(TUESDAY_10AM.astimezone(UTC))
    schedule = _schedule(any_db, tmp_path, clock, mailbox.port)
    schedule.subscribe(merchant_id, "gm@greenleaf.example", "daily", actor="op")
    _cases(any_db, merchant_id, (TUESDAY_10AM + timedelta(hours=1)).astimezone(UTC))
    assert schedule.run(merchant_id).delivered == 0  # no day has closed since the subscription
    clock.advance(hours=14, minutes=5)  # Wednesday 00:05 local
    assert schedule.run(merchant_id).delivered == 1
    assert schedule.run(merchant_id).delivered == 0  # a second round, or a second worker: nothing more
    [mail] = mailbox.received
    assert mailbox.recipients == [["gm@greenleaf.example"]]
    assert mail["Subject"] == f"Canary daily case digest for {merchant_id}: 1 opened, 0 closed"
    [sent] = schedule.log(merchant_id)
    assert (sent.state, sent.period_end) == ("delivered", datetime(2026, 5, 6, 0, 0, tzinfo=CHICAGO))
    clock.advance(days=3)  # the sweeper was down for three days: the latest day, once
    assert schedule.run(merchant_id).delivered == 1
    assert len(mailbox.received) == 2


def test_a_weekly_subscriber_gets_the_week_after_monday_midnight(
    any_db: Database,
    tmp_path: Path,
    mailbox: Mailbox,  # noqa: F811
) -> None:
    merchant_id = _merchant(any_db)
    clock = FixedClock(TUESDAY_10AM.astimezone(UTC))
    schedule = _schedule(any_db, tmp_path, clock, mailbox.port)
    schedule.subscribe(merchant_id, "owner@greenleaf.example", "weekly", actor="op")
    clock.advance(days=5)  # Sunday: the week has not closed
    assert schedule.run(merchant_id).delivered == 0
    clock.advance(days=1)  # Monday 10:00 local
    assert schedule.run(merchant_id).delivered == 1
    assert mailbox.received[0]["Subject"].startswith("Canary weekly case digest")


def test_a_mail_server_down_gets_the_digest_once_it_is_back(
    any_db: Database,
    tmp_path: Path,
    mailbox: Mailbox,  # noqa: F811
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]  # nothing listens here once the socket closes
    merchant_id = _merchant(any_db)
    clock = FixedClock((TUESDAY_10AM + timedelta(days=1)).astimezone(UTC))
    down = _schedule(any_db, tmp_path, clock, closed)
    down.subscribe(merchant_id, "gm@greenleaf.example", "daily", actor="op")
    clock.advance(days=1)
    assert down.run(merchant_id).failed == 1
    [failing] = down.log(merchant_id)
    assert failing.state == "pending"
    assert "could not send through 127.0.0.1" in (failing.last_error or "")
    up = _schedule(any_db, tmp_path, clock, mailbox.port)
    assert up.run(merchant_id).delivered == 0  # backing off
    clock.advance(minutes=1)
    assert up.run(merchant_id).delivered == 1
    assert up.run(merchant_id).delivered == 0
    assert len(mailbox.received) == 1


def test_a_disabled_subscription_waits_and_another_tenant_cannot_touch_it(
    any_db: Database,
    tmp_path: Path,
    mailbox: Mailbox,  # noqa: F811
) -> None:
    merchant_id, other = _merchant(any_db), _merchant(any_db)
    clock = FixedClock(TUESDAY_10AM.astimezone(UTC))
    schedule = _schedule(any_db, tmp_path, clock, mailbox.port)
    made = schedule.subscribe(merchant_id, "gm@greenleaf.example", "daily", actor="op")
    assert schedule.set_enabled(other, made.subscription_id, False) is False  # not B's to change
    assert schedule.subscriptions(other) == []
    assert schedule.set_enabled(merchant_id, made.subscription_id, False) is True
    clock.advance(days=1)
    assert schedule.run(merchant_id).delivered == 0
    assert schedule.set_enabled(merchant_id, made.subscription_id, True) is True
    assert schedule.run(merchant_id).delivered == 1
    assert schedule.log(other) == []


def test_a_bad_subscription_is_refused_with_its_reason(any_db: Database, tmp_path: Path) -> None:
    merchant_id = _merchant(any_db)
    schedule = _schedule(any_db, tmp_path, FixedClock(TUESDAY_10AM), 25)
    with pytest.raises(NotifyError, match="not an email address"):
        schedule.subscribe(merchant_id, "nobody", "daily", actor="op")
    with pytest.raises(NotifyError, match="period must be daily or weekly"):
        schedule.subscribe(merchant_id, "gm@greenleaf.example", "monthly", actor="op")


def test_the_notify_commands_subscribe_list_disable_and_enable(tmp_path: Path) -> None:
    url = onboarded_sqlite(tmp_path, "m_cli")
    env = cli_env(url, tmp_path)
    runner = CliRunner()
    subscribe = ["notify", "digest", "--merchant", "m_cli", "--to", "gm@x.example", "--period"]
    made = runner.invoke(app, [*subscribe, "weekly"], env=env)
    assert made.exit_code == 0, made.output
    subscription = made.output.split()[1].rstrip(":")
    assert subscription.startswith("dg_")
    listed = runner.invoke(app, ["notify", "list", "--merchant", "m_cli"], env=env)
    assert f"{subscription}  digest   weekly" in listed.output
    off = runner.invoke(app, ["notify", "disable", subscription, "--merchant", "m_cli"], env=env)
    assert off.exit_code == 0, off.output
    assert "(disabled)" in runner.invoke(app, ["notify", "list", "--merchant", "m_cli"], env=env).output
    on = runner.invoke(app, ["notify", "enable", subscription, "--merchant", "m_cli"], env=env)
    assert on.exit_code == 0, on.output
    missing = runner.invoke(app, ["notify", "disable", "dg_nope", "--merchant", "m_cli"], env=env)
    assert missing.exit_code == 2
    assert "has no notification target or digest 'dg_nope'" in missing.output
    bad = runner.invoke(app, [*subscribe, "hourly"], env=env)
    assert bad.exit_code == 2
    assert "period must be daily or weekly" in bad.output
