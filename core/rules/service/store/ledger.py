"""The journal of evaluated events: the facts each rule saw, replayed by backtests and dry runs.
(Which messages were processed is the tracked-consumer base's, ``core/consumers/positions.py``.)"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from core.db.dialect import insert_for
from core.db.tables.rules import RuleEventJournalRow
from core.domain.parsing import ParsedEvent
from core.rules.facts import Facts
from core.rules.service.store.sql import CHUNK

CONSUMER = "chirp"


def journal(session: Session, merchant_id: str, rows: Sequence[tuple[ParsedEvent, Facts]]) -> None:
    values = [
        {
            "merchant_id": merchant_id,
            "seq": event.evidence_seq,
            "kind": event.kind[:40],
            "entity_id": event.entity_id[:300],
            "source": event.source[:16],
            "occurred_at": facts.occurred_at,
            "facts": event.facts,
        }
        for event, facts in rows
    ]
    table = RuleEventJournalRow.__table__  # type: ignore[attr-defined]
    for start in range(0, len(values), CHUNK):
        stmt = insert_for(session)(table)
        stmt = stmt.on_conflict_do_update(  # a re-parse that reads the event differently replaces it
            index_elements=["merchant_id", "seq", "kind", "entity_id"],
            set_={c: stmt.excluded[c] for c in ("source", "occurred_at", "facts")},
        )
        session.execute(stmt, values[start : start + CHUNK])


REFERENCE_KINDS = ("customer", "store_config", "item_category", "mix_match_group", "mix_match_groups")


def load_journal(
    session: Session,
    merchant_id: str,
    start: datetime | None,
    end: datetime | None,
    *,
    reference_before: bool = False,
) -> list[Facts]:
    """Journalled events with ``start <= occurred_at < end`` (either bound may be open). With
    ``reference_before``, also the reference events (store configs, categories, customers,
    mix-and-match groups) before ``start``: a warm-up window must not forget a store's discount
    ceiling delivered once, months ago, which the live consumer still holds."""
    query = select(RuleEventJournalRow).where(RuleEventJournalRow.merchant_id == merchant_id)
    if start is not None:
        window = col(RuleEventJournalRow.occurred_at) >= start
        if reference_before:
            window = window | col(RuleEventJournalRow.kind).in_(REFERENCE_KINDS)
        query = query.where(window)
    if end is not None:
        query = query.where(RuleEventJournalRow.occurred_at < end)
    rows = session.exec(
        query.order_by(col(RuleEventJournalRow.occurred_at), col(RuleEventJournalRow.seq))
    ).all()
    return [
        Facts.from_parts(
            merchant_id=merchant_id,
            seq=r.seq,
            kind=r.kind,
            entity_id=r.entity_id,
            source=r.source,
            occurred_at=r.occurred_at,
            facts=r.facts,
        )
        for r in rows
    ]


def journal_span(session: Session, merchant_id: str) -> tuple[datetime | None, datetime | None, int]:
    row = session.execute(
        select(
            func.min(RuleEventJournalRow.occurred_at),
            func.max(RuleEventJournalRow.occurred_at),
            func.count(),
        ).where(RuleEventJournalRow.merchant_id == merchant_id)
    ).one()
    return row[0], row[1], int(row[2])
