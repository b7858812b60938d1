"""Signed pushes from a merchant-side relay (``POST /ingest/counterpoint``).

Counterpoint has no webhooks, so a relay on the merchant's network posts units (an API response or an
export row, docs/counterpoint.md) to Canary, signed with the merchant's ``counterpoint_push`` key:

    X-Canary-Timestamp: <unix seconds>
    X-Canary-Signature: sha256=<hex HMAC-SHA256(key, "<timestamp>." + raw body)>

The timestamp is inside the MAC, so a captured request cannot be replayed once it is older than the
allowed skew (5 minutes, either direction); within the window ingress de-duplication on the source
event id absorbs repeats. Comparisons are constant-time. Several keys may be valid at once (rotation).
The functions are pure: the caller passes the current time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence

SIGNATURE_HEADER = "X-Canary-Signature"
TIMESTAMP_HEADER = "X-Canary-Timestamp"
MAX_SKEW_SECONDS = 300
_SIGNATURE = re.compile(r"sha256=([0-9a-f]{64})")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


def sign_push(body: bytes, key: str, timestamp: int) -> str:
    """The ``X-Canary-Signature`` value for ``body`` sent at ``timestamp`` (unix seconds)."""
    return "sha256=" + _mac(key, str(timestamp), body)


def verify_push_signature(
    body: bytes,
    header: str | None,
    keys: Sequence[str],
    *,
    timestamp: str | None,
    now: float,
    max_skew_seconds: int = MAX_SKEW_SECONDS,
) -> bool:
    """True when ``header`` signs ``timestamp + "." + body`` under one of ``keys`` and the timestamp
    is within ``max_skew_seconds`` of ``now``. A missing or malformed header or timestamp is False."""
    if header is None or timestamp is None or not keys:
        return False
    signature = _SIGNATURE.fullmatch(header.strip().lower())
    if signature is None or _TIMESTAMP.fullmatch(timestamp.strip()) is None:
        return False
    stamp = timestamp.strip()
    if abs(now - int(stamp)) > max_skew_seconds:
        return False
    offered = signature.group(1)
    # Every key is tried, so the time taken does not reveal which key (if any) matched.
    matches = [hmac.compare_digest(_mac(key, stamp, body), offered) for key in keys if key]
    return any(matches)


def _mac(key: str, timestamp: str, body: bytes) -> str:
    return hmac.new(key.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
