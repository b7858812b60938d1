"""API tokens: issue (printed once), verify (timing-safe), list, revoke.

A token is ``cnry_<id>_<secret>``: a public 64-bit id that finds the row and 256 random bits of
secret. Only SHA-256 of the whole token is stored — enough for a high-entropy secret, which cannot
be guessed from its hash — and the comparison is constant-time. Verification happens before any
tenant is known, so on Postgres it reads through ``app.api_token_lookup`` (SECURITY DEFINER), which
returns the one row named by the id; on SQLite it reads the table directly.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlmodel import col, select

from core.auth.principal import DEFAULT_SCOPES, Principal, check_role, check_scopes, check_stores
from core.clock import Clock
from core.db.tables.api_tokens import ApiToken
from core.db.tables.tenants import Merchant
from core.db.uow import Database

PREFIX = "cnry"
_TOKEN = re.compile(r"^cnry_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")
# Compared against when the id is unknown, so a miss costs about what a hit does.
_DUMMY_HASH = hashlib.sha256(b"canary-no-such-token").hexdigest()


class UnknownMerchantError(LookupError):
    pass


@dataclass(frozen=True)
class IssuedToken:
    token: str  # shown once; only its hash is kept
    token_id: str
    merchant_id: str
    role: str
    scopes: tuple[str, ...]
    expires_at: datetime | None
    stores: tuple[str, ...] = ()  # empty: every store


@dataclass(frozen=True)
class TokenInfo:
    token_id: str
    role: str
    scopes: tuple[str, ...]
    label: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    stores: tuple[str, ...] = ()  # empty: every store


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db, self._clock = db, clock

    def create(
        self,
        merchant_id: str,
        role: str,
        scopes: Iterable[str] | None = None,
        *,
        label: str | None = None,
        expires_in: timedelta | None = None,
        stores: Iterable[str] = (),
    ) -> IssuedToken:
        check_role(role)
        limited = check_stores(stores)
        granted = check_scopes(DEFAULT_SCOPES[role] if scopes is None else scopes)
        token_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
        token = f"{PREFIX}_{token_id}_{secret}"
        now = self._clock.now()
        expires_at = now + expires_in if expires_in else None
        with self._db.tenant(merchant_id) as session:
            if session.get(Merchant, merchant_id) is None:
                raise UnknownMerchantError(
                    f"no merchant {merchant_id!r}: onboard it first (canary merchant add)"
                )
            session.add(
                ApiToken(
                    merchant_id=merchant_id,
                    id=token_id,
                    token_hash=token_hash(token),
                    role=role,
                    scopes=" ".join(sorted(granted)),
                    label=label,
                    stores=" ".join(sorted(limited)) if limited else None,
                    created_at=now,
                    expires_at=expires_at,
                )
            )
        return IssuedToken(
            token,
            token_id,
            merchant_id,
            role,
            tuple(sorted(granted)),
            expires_at,
            tuple(sorted(limited or ())),
        )

    def verify(self, token: str) -> Principal | None:
        """The principal a bearer token stands for, or ``None`` (unknown, wrong, revoked or expired)."""
        match = _TOKEN.match(token.strip())
        row = self._lookup(match.group(1)) if match else None
        presented = token_hash(token.strip())
        if not hmac.compare_digest(presented, row["token_hash"] if row else _DUMMY_HASH) or row is None:
            return None
        return self._principal(row, match.group(1) if match else "")

    def still_valid(self, token_id: str) -> Principal | None:
        """The principal of a token already verified once (a console session holds only its id):
        ``None`` once it is revoked, expired or gone, so a revocation ends its sessions at once."""
        row = self._lookup(token_id) if re.fullmatch(r"[0-9a-f]{16}", token_id) else None
        return self._principal(row, token_id) if row else None

    def _principal(self, row: dict[str, Any], token_id: str) -> Principal | None:
        now = self._clock.now()
        if row["revoked_at"] is not None or (row["expires_at"] is not None and row["expires_at"] <= now):
            return None
        return Principal(
            merchant_id=row["merchant_id"],
            role=row["role"],
            scopes=frozenset(row["scopes"].split()),
            transport="http",
            token_id=token_id,
            stores=frozenset(row["stores"].split()) if row.get("stores") else None,
        )

    def _lookup(self, token_id: str) -> dict[str, Any] | None:
        with self._db.system() as session:
            if self._db.is_postgres:
                found = session.execute(
                    text("SELECT * FROM app.api_token_lookup(:id)"), {"id": token_id}
                ).mappings()
                return dict(found.first() or {}) or None
            row = session.exec(select(ApiToken).where(col(ApiToken.id) == token_id)).first()
            return row.model_dump() if row else None

    def revoke(self, merchant_id: str, token_id: str) -> bool:
        with self._db.tenant(merchant_id) as session:
            row = session.get(ApiToken, (merchant_id, token_id))
            if row is None or row.revoked_at is not None:
                return False
            row.revoked_at = self._clock.now()
            session.add(row)
            return True

    def list_tokens(self, merchant_id: str) -> list[TokenInfo]:
        with self._db.tenant(merchant_id) as session:
            rows = session.exec(
                select(ApiToken)
                .where(col(ApiToken.merchant_id) == merchant_id)
                .order_by(col(ApiToken.created_at))
            ).all()
        return [
            TokenInfo(
                r.id,
                r.role,
                tuple(r.scopes.split()),
                r.label,
                r.created_at,
                r.expires_at,
                r.revoked_at,
                tuple((r.stores or "").split()),
            )
            for r in rows
        ]
