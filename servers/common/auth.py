"""Bearer tokens over HTTP: a token resolves, through ``TokenService``, to (merchant, role, scopes).

Tokens are stored hashed (core/auth/tokens.py); an unknown, revoked or expired token gets 401 from
FastMCP's auth middleware before any tool runs. The merchant and role travel in the access token's
claims, where ``caller()`` reads them back.
"""

from __future__ import annotations

import anyio.to_thread
from fastmcp.server.auth import AccessToken, TokenVerifier

from core.auth.tokens import TokenService


class CanaryTokenVerifier(TokenVerifier):
    def __init__(self, tokens: TokenService) -> None:
        super().__init__(required_scopes=["read"])
        self._tokens = tokens

    async def verify_token(self, token: str) -> AccessToken | None:
        principal = await anyio.to_thread.run_sync(self._tokens.verify, token)
        if principal is None:
            return None
        return AccessToken(
            token=token,
            client_id=principal.token_id or "token",
            scopes=sorted(principal.scopes),
            claims={"merchant_id": principal.merchant_id, "role": principal.role},
        )
