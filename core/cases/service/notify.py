"""Case notifications: a signed webhook (Slack-compatible JSON) or an email when a case reaches a
target's severity, exactly once per case and target, retried until delivered (docs/fox.md).

Queueing happens in the ``fox`` consumer's transaction (``enqueue``): when a case's severity reaches
a target's minimum, one ``app.fox_notifications`` row is inserted with an id derived from (case,
target), so a redelivered alert or a later bump queues nothing more. Delivery (``FoxNotifier.deliver``,
run by the housekeeping loop of ``canary worker sweeper`` and ``canary serve``) sends what is due
outside the bus: a 2xx (or an accepted email) marks the row ``delivered``; anything else records the
error and retries with exponential backoff (30 s doubling, at most an hour), for ever — a receiver
that comes back gets every notification, once. ``canary notify log`` shows the delivery log.

Webhook signature: ``X-Canary-Timestamp`` (unix seconds) and ``X-Canary-Signature: v1=<hex>``, the
HMAC-SHA256 of ``<timestamp>.<body>`` under the target's secret (printed once by ``canary notify
add``, kept wrapped in the merchant's keyring).
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Table, select
from sqlmodel import Session

from core.cases.domain.model import FoxError, Severity
from core.cases.service import mail
from core.clock import Clock
from core.db.dialect import MerchantLock, insert_for
from core.db.tables.cases import FoxNotification, FoxNotifyTarget
from core.db.uow import Database
from core.security.keyring import MerchantKeyring
from core.settings import Settings

TARGET_T: Table = FoxNotifyTarget.__table__  # type: ignore[attr-defined]
NOTE_T: Table = FoxNotification.__table__  # type: ignore[attr-defined]
NOTIFY_LOCK = MerchantLock("canary.fox.notify")
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=1)
BATCH = 50
FAILING_AFTER = 5  # attempts after which the log calls a notification failing (it is still retried)


class NotifyError(FoxError, ValueError):
    pass


def purpose(target_id: str) -> str:
    return f"fox-webhook:{target_id}"[:32]


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """What a receiver recomputes to verify a delivery: ``v1=`` + HMAC-SHA256(secret, ts + "." + body)."""
    return "v1=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def enqueue(session: Session, merchant_id: str, case: Mapping[str, Any], now: datetime) -> int:
    """Queue one notification per enabled target whose minimum the case's severity reaches (none if
    already queued for that case and target); returns how many were new."""
    rank = Severity(case["severity"]).rank
    targets = session.execute(
        select(TARGET_T.c.id, TARGET_T.c.min_severity).where(
            TARGET_T.c.merchant_id == merchant_id, TARGET_T.c.enabled.is_(True)
        )
    ).all()
    due = [t.id for t in targets if Severity(t.min_severity).rank <= rank]
    if not due:
        return 0
    rows = [
        {
            "merchant_id": merchant_id,
            "id": "nf_" + hashlib.sha256(f"{case['id']}\x1f{target}".encode()).hexdigest()[:24],
            "case_id": case["id"],
            "target_id": target,
            "severity": case["severity"],
            "payload": payload(case),
            "state": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for target in due
    ]
    insert = insert_for(session)(NOTE_T)
    done = session.execute(insert.on_conflict_do_nothing(index_elements=["merchant_id", "id"]), rows)
    return int(done.rowcount or 0)


def payload(case: Mapping[str, Any]) -> dict[str, Any]:
    """Slack-compatible (``text``), with the case's fields for other receivers."""
    text = (
        f"[{case['severity'].upper()}] {case['title']}: {case['detections']} detection(s), "
        f"{case['queue']} queue (case {case['id']})"
    )
    return {
        "text": text,
        "case": {
            "case_id": case["id"],
            "title": case["title"],
            "severity": case["severity"],
            "queue": case["queue"],
            "detections": case["detections"],
            "location_id": case.get("location_id", ""),
            "employee_id": case.get("employee_id", ""),
        },
    }


@dataclass(frozen=True)
class TargetView:
    target_id: str
    kind: str
    address: str
    min_severity: str
    enabled: bool


@dataclass(frozen=True)
class DeliveryView:
    notification_id: str
    case_id: str
    target_id: str
    severity: str
    state: str  # pending | failing | delivered
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    delivered_at: datetime | None


@dataclass(frozen=True)
class DeliverySummary:
    delivered: int = 0
    failed: int = 0


Sender = Callable[[str, bytes, dict[str, str]], int]  # url, body, headers → HTTP status


def deliver_due(
    s: Session,
    merchant_id: str,
    now: datetime,
    *,
    log: Table,
    owner: Table,
    owner_key: str,
    columns: Sequence[Any],
    attempt: Callable[[Any], str | None],
) -> DeliverySummary:
    """The outbox loop notifications and scheduled digests share: every pending ``log`` row that is
    due and whose ``owner`` (its target or subscription, by ``owner_key``) is enabled, oldest due
    first, ``BATCH`` a round; ``attempt`` sends one and answers None or what went wrong, which is
    kept on the row and retried after 30 s, doubling up to an hour."""
    due = s.execute(
        select(log, *columns)
        .join(owner, (owner.c.merchant_id == log.c.merchant_id) & (owner.c.id == log.c[owner_key]))
        .where(
            log.c.merchant_id == merchant_id,
            log.c.state == "pending",
            log.c.next_attempt_at <= now,
            owner.c.enabled.is_(True),
        )
        .order_by(log.c.next_attempt_at, log.c.id)
        .limit(BATCH)
    ).all()
    delivered = failed = 0
    for row in due:
        error = attempt(row)
        values: dict[str, Any] = {"attempts": row.attempts + 1}
        if error is None:
            values |= {"state": "delivered", "delivered_at": now, "last_error": None}
            delivered += 1
        else:
            backoff = min(FIRST_RETRY * (2**row.attempts), MAX_RETRY)
            values |= {"last_error": error[:500], "next_attempt_at": now + backoff}
            failed += 1
        s.execute(log.update().where(log.c.merchant_id == merchant_id, log.c.id == row.id).values(values))
    return DeliverySummary(delivered, failed)


def http_sender(timeout: float = 5.0) -> Sender:
    def send(url: str, body: bytes, headers: dict[str, str]) -> int:
        return httpx.post(url, content=body, headers=headers, timeout=timeout).status_code

    return send


class FoxNotifier:
    def __init__(
        self,
        db: Database,
        keyring: MerchantKeyring,
        clock: Clock,
        settings: Settings,
        sender: Sender | None = None,
    ) -> None:
        self._db, self._keyring, self._clock, self._settings = db, keyring, clock, settings
        self._send = sender or http_sender()

    def add_target(
        self, merchant_id: str, kind: str, address: str, min_severity: str, *, actor: str
    ) -> tuple[TargetView, str | None]:
        """A new target; for a webhook also its signing secret (hex), shown only this once."""
        if kind not in ("webhook", "email"):
            raise NotifyError(f"kind must be webhook or email, got {kind!r}")
        if kind == "webhook" and not address.startswith(("https://", "http://")):
            raise NotifyError("a webhook address is an http(s) URL")
        if kind == "email" and "@" not in address:
            raise NotifyError(f"{address!r} is not an email address")
        try:
            Severity(min_severity)
        except ValueError:
            raise NotifyError(
                f"min severity must be one of {', '.join(s.value for s in Severity)}, got {min_severity!r}"
            ) from None
        target_id = f"nt_{uuid.uuid4().hex[:16]}"
        with self._db.tenant(merchant_id) as s:
            s.execute(
                TARGET_T.insert().values(
                    merchant_id=merchant_id,
                    id=target_id,
                    kind=kind,
                    address=address[:500],
                    min_severity=min_severity,
                    enabled=True,
                    created_by=actor[:120],
                    created_at=self._clock.now(),
                )
            )
            secret = (
                self._keyring.get(s, merchant_id, purpose(target_id)).hex() if kind == "webhook" else None
            )
        return TargetView(target_id, kind, address, min_severity, True), secret

    def targets(self, merchant_id: str) -> list[TargetView]:
        with self._db.tenant(merchant_id) as s:
            rows = s.execute(
                select(TARGET_T).where(TARGET_T.c.merchant_id == merchant_id).order_by(TARGET_T.c.created_at)
            ).all()
        return [TargetView(r.id, r.kind, r.address, r.min_severity, r.enabled) for r in rows]

    def set_enabled(self, merchant_id: str, target_id: str, enabled: bool) -> bool:
        """Stop (or resume) notifying a target; what is already queued for it waits, undelivered,
        until it is enabled again. False when the merchant has no such target."""
        with self._db.tenant(merchant_id) as s:
            done = s.execute(
                TARGET_T.update()
                .where(TARGET_T.c.merchant_id == merchant_id, TARGET_T.c.id == target_id)
                .values(enabled=enabled)
            )
        return bool(done.rowcount)

    def log(self, merchant_id: str, limit: int = 100) -> list[DeliveryView]:
        with self._db.tenant(merchant_id) as s:
            rows = s.execute(
                select(NOTE_T)
                .where(NOTE_T.c.merchant_id == merchant_id)
                .order_by(NOTE_T.c.created_at.desc(), NOTE_T.c.id)
                .limit(limit)
            ).all()
        return [
            DeliveryView(
                r.id,
                r.case_id,
                r.target_id,
                r.severity,
                "failing" if r.state == "pending" and r.attempts >= FAILING_AFTER else r.state,
                r.attempts,
                r.next_attempt_at,
                r.last_error,
                r.delivered_at,
            )
            for r in rows
        ]

    def deliver(self, merchant_id: str) -> DeliverySummary:
        """Send every due notification once; a failure is logged on its row and retried later."""
        with NOTIFY_LOCK.tenant(self._db, merchant_id) as s:  # one deliverer per merchant
            return deliver_due(
                s,
                merchant_id,
                self._clock.now(),
                log=NOTE_T,
                owner=TARGET_T,
                owner_key="target_id",
                columns=(TARGET_T.c.kind, TARGET_T.c.address),
                attempt=lambda row: self._attempt(s, merchant_id, row),
            )

    def _attempt(self, s: Session, merchant_id: str, row: Any) -> str | None:
        """None when delivered, else what went wrong (kept on the row)."""
        if row.kind == "email":
            text = row.payload["text"] + "\n"
            try:
                mail.send(
                    self._settings,
                    [row.address],
                    row.payload["text"][:200],
                    text,
                    f"<p>{html.escape(text)}</p>",
                )
            except mail.MailError as exc:
                return str(exc)
            return None
        body = json.dumps(row.payload, separators=(",", ":"), sort_keys=True).encode()
        secret = self._keyring.get(s, merchant_id, purpose(row.target_id), create=False)
        stamp = str(int(self._clock.now().timestamp()))
        headers = {
            "Content-Type": "application/json",
            "X-Canary-Timestamp": stamp,
            "X-Canary-Signature": signature(secret, stamp, body),
            "X-Canary-Notification": row.id,
        }
        try:
            status = self._send(row.address, body, headers)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"
        return None if 200 <= status < 300 else f"HTTP {status}"
