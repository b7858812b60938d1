"""Vendor identifiers as they can be stored: bounded, printable text, or a hash that stands for them.

An event id, type or API version is the vendor's (or an attacker's) text: it may be longer than its
column, carry a NUL that Postgres text refuses, or a lone surrogate no encoder accepts. Refusing a
signed event for that would make the vendor retry it forever, so such a value is stored as
``sha256:<hex>`` of its UTF-8 bytes instead (cut to the column). The same value always hashes the
same, so de-duplication still works; the exact bytes stay in the sealed payload (for Square, the
body carries the event id and type), which is the evidence.
"""

from __future__ import annotations

import hashlib
import re

HASHED_PREFIX = "sha256:"
# The printable ASCII subset merchant ids may use in URLs; anything else is not one of ours.
MERCHANT_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")


def storable(value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    if len(value) <= limit and value.isprintable():
        return value
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    return (HASHED_PREFIX + digest)[:limit]


def merchant_ref(value: str | None) -> str | None:
    """A merchant id from a URL or header if it has the shape of one, else None (answered 404
    without a database look-up, so no hostile value reaches SQL or a cache key)."""
    return value if value is not None and MERCHANT_REF.fullmatch(value) else None
