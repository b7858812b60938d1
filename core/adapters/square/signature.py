"""Square webhook signatures: ``x-square-hmacsha256-signature`` = standard base64 (with padding) of
HMAC-SHA256, keyed with the subscription's signature key, over the notification URL followed by the
raw request body (docs/square.md).

Two details decide whether a genuine delivery verifies:
- The message is the URL's UTF-8 bytes followed by the body bytes *exactly as received*. Square's
  SDK helper takes the body as ``str`` and re-encodes it; working on bytes gives the same answer for
  every UTF-8 body and never lets a decode/re-encode (or a JSON re-serialisation) change what is
  checked.
- The URL must be byte-for-byte the one registered on the subscription: scheme, host, path, query,
  trailing slash.

Several keys are accepted so a signature-key rotation (old and new key both live for a while) drops
no deliveries. Verification never raises: a missing or empty header, an empty body, no usable key or
a garbage header is simply not a valid signature. Comparison is constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence


def sign_square_body(body: bytes, key: str, url: str) -> str:
    """The header value Square would send for ``body`` delivered to ``url`` (simulator and tests)."""
    digest = hmac.new(key.encode("utf-8"), url.encode("utf-8") + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_square_signature(
    *, body: bytes, signature_header: str | None, signature_keys: Sequence[str], notification_url: str
) -> bool:
    if not body or not signature_header or not notification_url:
        return False
    try:
        presented = signature_header.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: not something Square sends
        return False
    valid = False
    for key in signature_keys:
        if not key:
            continue
        expected = sign_square_body(body, key, notification_url).encode("ascii")
        # Every key is tried (no early exit) so the time taken does not say which key matched.
        valid |= hmac.compare_digest(expected, presented)
    return valid
