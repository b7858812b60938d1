"""A raw unit on its way to the inbox: its deterministic source event id and its exact bytes.

Ids are content-addressed (a readable prefix naming what the unit is, then a SHA-256 prefix of the
bytes), so fetching or reading the same thing twice yields the same id and ingress de-duplicates it,
while a changed record gets a new id and is sealed again.
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple


class Unit(NamedTuple):
    source_event_id: str
    raw: bytes


def unit_id(label: str, raw: bytes) -> str:
    # 24 hex digits (96 bits) keep ids short; a collision needs ~2^48 units of one merchant.
    return f"{label[:160]}#{hashlib.sha256(raw).hexdigest()[:24]}"
