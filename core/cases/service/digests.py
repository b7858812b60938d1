"""Scheduled case digests: who gets the digest by email, daily or weekly, and its delivery (docs/fox.md).

A period closes at the merchant's local midnight (``merchants.default_timezone``): a daily digest
covers the local day just ended, a weekly one the local week ending on Monday 00:00. The housekeeping
loop (``canary worker sweeper`` and ``canary serve``, core/pipeline/workers.py) calls ``run`` for each
merchant: for every enabled subscription created before the latest close, one ``fox_digest_sends``
row is inserted with an id derived from (subscription, period end), so the period is queued once
however many loops or workers run; then every due row is mailed, a failure kept on the row and
retried with the notifications' backoff until the mail server accepts it. Only the latest closed
period is queued: a sweeper that was down for three days sends one daily digest, not three.

SMTP has no idempotency key, so delivery is at least once: a process killed between the server's
acceptance and the commit that marks the row delivered mails that digest again on the next round.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Table, select

from core.cases.domain import digest as domain
from core.cases.service import mail
from core.cases.service.notify import DeliverySummary, NotifyError, deliver_due
from core.clock import Clock
from core.db.dialect import MerchantLock, insert_for
from core.db.tables.cases import FoxDigestSend, FoxDigestSubscription
from core.db.tables.tenants import Merchant
from core.db.uow import Database
from core.settings import Settings

SUB_T: Table = FoxDigestSubscription.__table__  # type: ignore[attr-defined]
SEND_T: Table = FoxDigestSend.__table__  # type: ignore[attr-defined]
MERCHANT_T: Table = Merchant.__table__  # type: ignore[attr-defined]
DIGEST_LOCK = MerchantLock("canary.fox.digest")

Facts = Callable[[str, datetime, datetime], list[domain.CaseFact]]  # merchant, start, end


@dataclass(frozen=True)
class SubscriptionView:
    subscription_id: str
    address: str
    period: str
    enabled: bool


@dataclass(frozen=True)
class DigestSendView:
    send_id: str
    subscription_id: str
    address: str
    period: str
    period_end: datetime
    state: str  # pending | delivered
    attempts: int
    last_error: str | None
    delivered_at: datetime | None


def last_close(now: datetime, zone: ZoneInfo, period: domain.Period) -> datetime:
    """The latest local midnight (daily) or Monday midnight (weekly) at or before ``now``."""
    local = now.astimezone(zone)
    day = local.date()
    if period is domain.Period.WEEKLY:
        day -= timedelta(days=day.weekday())
    close = datetime.combine(day, time(0), tzinfo=zone)
    return close if close <= local else close - period.length


def send_id(subscription_id: str, period_end: datetime) -> str:
    return "ds_" + hashlib.sha256(f"{subscription_id}\x1f{period_end.isoformat()}".encode()).hexdigest()[:24]


class DigestSchedule:
    def __init__(self, db: Database, clock: Clock, settings: Settings, facts: Facts) -> None:
        self._db, self._clock, self._settings, self._facts = db, clock, settings, facts

    def subscribe(self, merchant_id: str, address: str, period: str, *, actor: str) -> SubscriptionView:
        if "@" not in address or len(address) > 320:
            raise NotifyError(f"{address[:80]!r} is not an email address")
        try:
            chosen = domain.Period(period)
        except ValueError:
            raise NotifyError(f"period must be daily or weekly, got {period!r}") from None
        subscription_id = f"dg_{uuid.uuid4().hex[:16]}"
        with self._db.tenant(merchant_id) as s:
            s.execute(
                SUB_T.insert().values(
                    merchant_id=merchant_id,
                    id=subscription_id,
                    address=address,
                    period=chosen.value,
                    enabled=True,
                    created_by=actor[:120],
                    created_at=self._clock.now(),
                )
            )
        return SubscriptionView(subscription_id, address, chosen.value, True)

    def subscriptions(self, merchant_id: str) -> list[SubscriptionView]:
        with self._db.tenant(merchant_id) as s:
            rows = s.execute(
                select(SUB_T)
                .where(SUB_T.c.merchant_id == merchant_id)
                .order_by(SUB_T.c.created_at, SUB_T.c.id)
            ).all()
        return [SubscriptionView(r.id, r.address, r.period, r.enabled) for r in rows]

    def set_enabled(self, merchant_id: str, subscription_id: str, enabled: bool) -> bool:
        """False when the merchant has no such subscription."""
        with self._db.tenant(merchant_id) as s:
            done = s.execute(
                SUB_T.update()
                .where(SUB_T.c.merchant_id == merchant_id, SUB_T.c.id == subscription_id)
                .values(enabled=enabled)
            )
        return bool(done.rowcount)

    def log(self, merchant_id: str, limit: int = 100) -> list[DigestSendView]:
        with self._db.tenant(merchant_id) as s:
            rows = s.execute(
                select(SEND_T, SUB_T.c.address, SUB_T.c.period)
                .join(
                    SUB_T,
                    (SUB_T.c.merchant_id == SEND_T.c.merchant_id) & (SUB_T.c.id == SEND_T.c.subscription_id),
                )
                .where(SEND_T.c.merchant_id == merchant_id)
                .order_by(SEND_T.c.period_end.desc(), SEND_T.c.id)
                .limit(limit)
            ).all()
        return [
            DigestSendView(
                r.id, r.subscription_id, r.address, r.period, r.period_end, r.state, r.attempts,
                r.last_error, r.delivered_at,
            )
            for r in rows
        ]  # fmt: skip

    def run(self, merchant_id: str) -> DeliverySummary:
        """Queue the latest closed period of every enabled subscription (once), then mail what is due."""
        now = self._clock.now()
        with DIGEST_LOCK.tenant(self._db, merchant_id) as s:  # one sender per merchant
            zone = _zone(
                s.execute(
                    select(MERCHANT_T.c.default_timezone).where(MERCHANT_T.c.id == merchant_id)
                ).scalar()
            )
            subs = s.execute(
                select(SUB_T).where(SUB_T.c.merchant_id == merchant_id, SUB_T.c.enabled.is_(True))
            ).all()
            rows = []
            for sub in subs:
                end = last_close(now, zone, domain.Period(sub.period))
                if sub.created_at < end:  # a period closed since it was made
                    rows.append(
                        {
                            "merchant_id": merchant_id,
                            "id": send_id(sub.id, end),
                            "subscription_id": sub.id,
                            "period_end": end,
                            "state": "pending",
                            "attempts": 0,
                            "next_attempt_at": now,
                            "created_at": now,
                        }
                    )
            if rows:
                insert = insert_for(s)(SEND_T)
                s.execute(insert.on_conflict_do_nothing(index_elements=["merchant_id", "id"]), rows)
            return deliver_due(
                s,
                merchant_id,
                now,
                log=SEND_T,
                owner=SUB_T,
                owner_key="subscription_id",
                columns=(SUB_T.c.address, SUB_T.c.period),
                attempt=lambda row: self._mail(merchant_id, row),
            )

    def _mail(self, merchant_id: str, row: Any) -> str | None:
        period = domain.Period(row.period)
        made = domain.build(
            self._facts(merchant_id, row.period_end - period.length, row.period_end), period, row.period_end
        )
        try:
            mail.send(
                self._settings,
                [row.address],
                domain.subject(made, merchant_id),
                domain.render_text(made),
                domain.render_html(made),
            )
        except mail.MailError as exc:
            return str(exc)
        return None


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")  # onboarding validates the zone; an old row without one is UTC
