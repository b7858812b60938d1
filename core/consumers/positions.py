"""A tracked consumer's position: the keys of the messages it has applied (``app.processed_messages``).

A consumer records a message's key in the same transaction as the message's effects, so after a
crash either both are there or neither is; a redelivered message finds its key and is skipped.
Forgetting a consumer's keys for a merchant makes the next delivery of each message count again,
which is how a consumer is rebuilt from the ledger (see ``TrackedConsumer.forget_positions``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Table, and_, delete, func, or_
from sqlmodel import Session, col, select

from core.consumers.keys import DIGEST
from core.db.bulk import by_key, insert_rows
from core.db.tables.ledger import ProcessedMessage

CHUNK = 500
POSITIONS: Table = ProcessedMessage.__table__  # type: ignore[attr-defined]


def seen(session: Session, merchant_id: str, consumer: str, keys: Sequence[str]) -> set[str]:
    """The subset of ``keys`` this consumer has already applied for the merchant (one index probe
    per key on Postgres, ``bulk.by_key``)."""
    found: set[str] = set()
    fixed = {"merchant_id": merchant_id, "consumer": consumer}
    for start in range(0, len(keys), CHUNK):
        part = list(keys[start : start + CHUNK])
        found.update(
            r.message_key for r in by_key(session, POSITIONS, fixed, "message_key", part, ("message_key",))
        )
    return found


def record(session: Session, merchant_id: str, consumer: str, keys: Iterable[str], now: datetime) -> None:
    """Insert the keys now, as one statement of arrays on Postgres (``bulk.insert_rows``), not one
    ORM object per key flushed at commit."""
    rows = [
        {"merchant_id": merchant_id, "consumer": consumer, "message_key": k, "processed_at": now}
        for k in keys
    ]
    insert_rows(session, POSITIONS, rows)


def forget(session: Session, merchant_id: str, consumer: str) -> int:
    """Drop every key of this consumer for the merchant; returns how many there were."""
    mine = (col(ProcessedMessage.merchant_id) == merchant_id) & (col(ProcessedMessage.consumer) == consumer)
    count = session.execute(select(func.count()).select_from(ProcessedMessage).where(mine)).scalar_one()
    session.execute(delete(ProcessedMessage).where(mine))
    return int(count)


def drop_earlier_parses(session: Session, merchant_id: str, consumer: str, prefixes: Sequence[str]) -> None:
    """Drop the keys of earlier parses of these (seq, kind, entity) prefixes (``keys.entity_prefix``;
    a key is its prefix and ``keys.DIGEST`` hex characters). Each prefix is an index range on the
    key, with an exact prefix test on top whatever the column's collation."""
    key = col(ProcessedMessage.message_key)
    for start in range(0, len(prefixes), CHUNK):
        part = sorted(set(prefixes[start : start + CHUNK]))
        if not part:
            continue
        session.execute(
            delete(ProcessedMessage).where(
                col(ProcessedMessage.merchant_id) == merchant_id,
                col(ProcessedMessage.consumer) == consumer,
                or_(
                    *(
                        and_(
                            key >= p + "0" * DIGEST,
                            key <= p + "f" * DIGEST,
                            func.substr(key, 1, len(p)) == p,
                        )
                        for p in part
                    )
                ),
            )
        )
