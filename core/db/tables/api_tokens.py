"""API tokens for the MCP servers over HTTP (app schema, a tenant table).

Only a SHA-256 of each token is stored: a token is 256 random bits, so a plain hash cannot be
reversed or guessed, and a database read does not hand out working credentials. The public ``id``
travels inside the token; it is how a request finds its row before any tenant is known (on Postgres
through the SECURITY DEFINER function ``app.api_token_lookup``, see ``core.db.rls``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from core.db.base import APP, TenantKey, utcnow
from core.domain.columns import UTCDateTime


class ApiToken(TenantKey, table=True):
    __tablename__ = "api_tokens"
    # Token ids are random (64 bits) and globally unique: the look-up happens before the tenant is known.
    __table_args__ = (UniqueConstraint("id", name="uq_api_tokens_id"), {"schema": APP})

    id: str = Field(primary_key=True, max_length=32)
    token_hash: str = Field(max_length=64)  # hex SHA-256 of the whole token string
    role: str = Field(max_length=16)  # analyst | operator | gm | exec | ops
    scopes: str = Field(max_length=500)  # space-separated, OAuth style
    label: str | None = Field(default=None, max_length=200)
    stores: str | None = Field(default=None, max_length=2_000)  # space-separated location ids; None: all
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
