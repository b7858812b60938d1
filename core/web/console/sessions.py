"""Console sessions and CSRF tokens (docs/console.md).

Signing in verifies a Canary API token once (core/auth/tokens.py); the session cookie then holds
only the token's public id, an expiry and a random nonce, signed with HMAC-SHA256 under a key this
process draws at start (so a restart signs everyone out). Every request re-reads the token by id,
so revoking or expiring the token ends its sessions at once, and the principal (merchant, role,
scopes) always comes from the token row, never from the cookie.

CSRF: each form carries ``HMAC(key, "csrf:" + nonce)`` of the session it was rendered for; the
sign-in form, which has no session yet, uses a short-lived signed pre-session nonce cookie instead.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

SESSION_COOKIE = "canary_console"
LOGIN_COOKIE = "canary_console_login"
SESSION_TTL = timedelta(hours=8)
LOGIN_TTL = timedelta(minutes=30)


@dataclass(frozen=True)
class Session:
    token_id: str
    nonce: str
    expires_at: datetime


class SessionSigner:
    def __init__(self, key: bytes | None = None, ttl: timedelta = SESSION_TTL) -> None:
        self._key = key or secrets.token_bytes(32)
        self.ttl = ttl
        self._ended: dict[str, datetime] = {}  # nonce -> expiry: sessions signed out before expiring

    # cookies -----------------------------------------------------------------------------------------
    def issue(self, token_id: str, now: datetime) -> tuple[str, Session]:
        session = Session(token_id, secrets.token_urlsafe(16), now + self.ttl)
        return self._seal(
            {"t": token_id, "n": session.nonce, "e": int(session.expires_at.timestamp())}
        ), session

    def open(self, cookie: str | None, now: datetime) -> tuple[Session | None, bool]:
        """The session a cookie holds and whether it had expired (a forged or garbled cookie is no
        session and not "expired")."""
        payload = self._unseal(cookie)
        if payload is None or not {"t", "n", "e"} <= payload.keys():
            return None, False
        expires_at = datetime.fromtimestamp(int(payload["e"]), now.tzinfo)
        if expires_at <= now:
            return None, True
        if str(payload["n"]) in self._ended:
            return None, False
        return Session(str(payload["t"]), str(payload["n"]), expires_at), False

    def end(self, session: Session, now: datetime) -> None:
        """Sign-out: the cookie stops working here even if a copy of it survives in a browser."""
        self._ended = {n: e for n, e in self._ended.items() if e > now}
        self._ended[session.nonce] = session.expires_at

    def login_nonce(self, now: datetime) -> tuple[str, str]:
        """(cookie value, nonce) for a sign-in form."""
        nonce = secrets.token_urlsafe(16)
        return self._seal({"n": nonce, "e": int((now + LOGIN_TTL).timestamp())}), nonce

    def open_login(self, cookie: str | None, now: datetime) -> str | None:
        payload = self._unseal(cookie)
        if payload is None or "n" not in payload or int(payload.get("e", 0)) <= now.timestamp():
            return None
        return str(payload["n"])

    # CSRF --------------------------------------------------------------------------------------------
    def csrf(self, nonce: str) -> str:
        return hmac.new(self._key, f"csrf:{nonce}".encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, nonce: str | None, presented: object) -> bool:
        if not nonce or not isinstance(presented, str):
            return False
        return hmac.compare_digest(self.csrf(nonce), presented)

    # signing -----------------------------------------------------------------------------------------
    def _seal(self, payload: dict[str, object]) -> str:
        body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()
        return f"{body}.{self._mac(body)}"

    def _unseal(self, cookie: str | None) -> dict[str, object] | None:
        if not cookie or cookie.count(".") != 1:
            return None
        body, mac = cookie.split(".")
        if not hmac.compare_digest(self._mac(body), mac):
            return None
        try:
            payload = json.loads(base64.urlsafe_b64decode(body.encode()))
        except ValueError:
            return None
        return payload if isinstance(payload, dict) else None

    def _mac(self, body: str) -> str:
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()
