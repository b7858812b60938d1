"""Ids for the rows Chirp writes. (Upserts and the per-merchant writer lock are ``core/db/dialect.py``'s;
message positions are ``core/consumers``'.)"""

from __future__ import annotations

import itertools
import time
import uuid

CHUNK = 500  # rows per statement: keeps parameter lists under SQLite's limit


def new_id() -> str:
    return uuid.uuid4().hex


_ticks = itertools.count()


def ordered_id() -> str:
    """An id that sorts in creation order (nanosecond clock, then a per-process counter): audit
    entries written in the same instant by a fixed clock still list in the order they were made."""
    return f"{time.time_ns():020d}{next(_ticks) % 10_000:04d}{uuid.uuid4().hex[:8]}"
