"""The journal of evaluated events: the facts each rule saw, replayed by backtests and dry runs.
(Which messages were processed is the tracked-consumer base's, ``core/consumers/positions.py``.)"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Text, cast, func, tuple_
from sqlalchemy import select as core_select
from sqlmodel import Session, select

from core.db.dialect import insert_for
from core.db.tables.rules import RuleEventJournalRow
from core.domain.parsing import ParsedEvent
from core.rules.facts import Facts
from core.rules.record_loading import collector_paused, loads_json
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
    table = RuleEventJournalRow.__table__  # type: ignore[attr-defined]
    # Core, not ORM entities, and the facts as their stored JSON text, decoded here: a backtest reads
    # ~180,000 rows, and an ORM object per row plus the driver's JSON decoding was most of its load.
    query = core_select(
        table.c.seq,
        table.c.kind,
        table.c.entity_id,
        table.c.source,
        table.c.occurred_at,
        cast(table.c.facts, Text),
    ).where(table.c.merchant_id == merchant_id)
    if start is not None:
        window = table.c.occurred_at >= start
        if reference_before:
            window = window | table.c.kind.in_(REFERENCE_KINDS)
        query = query.where(window)
    if end is not None:
        query = query.where(table.c.occurred_at < end)
    rows = session.execute(query.order_by(table.c.occurred_at, table.c.seq))
    with collector_paused():
        return [
            Facts.from_parts(
                merchant_id=merchant_id,
                seq=seq,
                kind=kind,
                entity_id=entity_id,
                source=source,
                occurred_at=occurred_at,
                facts=loads_json(facts),
            )
            for seq, kind, entity_id, source, occurred_at, facts in rows
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


def journalled(session: Session, merchant_id: str, events: Sequence[ParsedEvent]) -> list[Facts]:
    """The journal's reading of these events' (seq, kind, entity), as the rules saw it: the old
    reading of an event a replay has re-parsed, before its new one replaces it."""
    keys = sorted({(e.evidence_seq, e.kind[:40], e.entity_id[:300]) for e in events})
    table = RuleEventJournalRow.__table__  # type: ignore[attr-defined]
    found: list[Facts] = []
    for start in range(0, len(keys), CHUNK):
        rows = session.execute(
            core_select(
                table.c.seq,
                table.c.kind,
                table.c.entity_id,
                table.c.source,
                table.c.occurred_at,
                cast(table.c.facts, Text),
            ).where(
                table.c.merchant_id == merchant_id,
                tuple_(table.c.seq, table.c.kind, table.c.entity_id).in_(keys[start : start + CHUNK]),
            )
        )
        found += [
            Facts.from_parts(
                merchant_id=merchant_id,
                seq=seq,
                kind=kind,
                entity_id=entity_id,
                source=source,
                occurred_at=occurred_at,
                facts=loads_json(facts),
            )
            for seq, kind, entity_id, source, occurred_at, facts in rows
        ]
    return found
