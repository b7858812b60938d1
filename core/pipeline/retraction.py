"""Retractions: what a replay does when its new parse of a sealed event no longer names an entity
the last parse of that seq published (a Counterpoint paid-out read as a post-void, a drawer event
that turns out to be a transaction: another kind, another entity id).

``ingestion_log.entities`` keeps the (kind, entity) pairs each seq's last reading published
(``named``), those it retracted and the canonical keys they removed. When the parse stage re-parses
a seq (parsed or ignored, not failed), the pairs named or retracted before that it no longer
produces are *dropped*; a retraction lost between the commit and the publish is so published again
by the next parse of the seq (a redelivery, the sweeper), with what it removed. In the parse
transaction, before the batch's writes, the canonical rows that seq last
wrote and its new parse does not write are deleted; after the batch's writes, a deleted row another
seq also writes (an older version of the same order) is put back from that seq's parse, as a first
parse would have left it (``restore``); reference
rows other events also name (customers, employees, devices, locations, store configurations,
categories, loyalty accounts) are kept. After the commit one retraction per dropped pair goes to
``canary:detection`` ahead of the seq's new events (``ParsedEvent.retracted``, ``facts`` =
``{"removed": {table: [key, …]}}``), and each consumer withdraws that entity's contribution: R
re-derives the removed transactions from the canonical rows, Bubble re-attributes them, Chirp
supersedes the detections the entity triggered and drops its journal row (docs/tsp-ops.md, "Replay
safety"). A retraction has one message key per (seq, kind, entity), so a repeated replay is a
duplicate.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Select, String, Table, and_, cast, delete, or_, select, tuple_
from sqlmodel import Session

from core.db.base import REFERENCE_TABLES
from core.domain.parsing import ParsedEvent
from core.pipeline.ingestion_log import LOG, Previous, entities_of
from core.pipeline.parse_plan import EventResult
from core.storage.canonical_writer import UpsertGroup, canonical_tables, write_plans

# Reference rows: many events name them, and the seq that last wrote one is not its only source.
KEPT = REFERENCE_TABLES
Removed = dict[int, dict[str, list[list[Any]]]]


def _pairs(values: Any) -> set[tuple[str, str]]:
    return {(str(v[0]), str(v[1])) for v in values or () if isinstance(v, list) and len(v) == 2}


def dropped(before: Previous, results: Sequence[EventResult]) -> dict[int, list[tuple[str, str]]]:
    """Per seq, the (kind, entity) pairs an earlier reading published (or already retracted) that
    this one does not name. Pairs retracted before are retracted again: their messages may have
    been lost between the commit and the publish, and a consumer that had them skips them by key."""
    out: dict[int, list[tuple[str, str]]] = {}
    for result in results:
        new = entities_of(result)
        old = before.get(result.seq, ("", None))[1]
        if new is None or not isinstance(old, dict):  # a failure, or nothing known of the last one
            continue
        gone = sorted((_pairs(old.get("named")) | _pairs(old.get("retracted"))) - _pairs(new))
        if gone:
            out[result.seq] = gone
    return out


def readings(
    before: Previous,
    results: Sequence[EventResult],
    gone: Mapping[int, Sequence[tuple[str, str]]],
    removed_now: Removed,
) -> tuple[dict[int, dict[str, Any]], Removed]:
    """The ``ingestion_log.entities`` of each seq with retractions, and the canonical keys its
    retractions carry: those deleted now and by earlier readings, less what this parse writes again
    (so a retraction published again after a lost one still names what it removed)."""
    out: dict[int, dict[str, Any]] = {}
    removed: Removed = {}
    for result in results:
        if result.seq not in gone or result.status == "failed":
            continue
        old = before.get(result.seq, ("", None))[1] or {}
        rewritten = _written(result)
        keys: dict[str, list[list[Any]]] = {}
        for source in (old.get("removed") or {}, removed_now.get(result.seq, {})):
            for table, found in source.items():
                for key in found:
                    held = keys.setdefault(table, [])
                    if (table, tuple(key)) not in rewritten and list(key) not in held:
                        held.append(list(key))
        removed[result.seq] = {t: k for t, k in keys.items() if k}
        out[result.seq] = {
            "named": entities_of(result) or [],
            "retracted": [list(p) for p in gone[result.seq]],
            "removed": removed[result.seq],
        }
    return out, removed


def _written(result: EventResult) -> set[tuple[str, tuple[Any, ...]]]:
    """The (table, natural key) of every canonical row this parse writes."""
    found: set[tuple[str, tuple[Any, ...]]] = set()
    for group in result.writes:
        cols = [c for c in group.key_cols if c != "merchant_id"]
        found.update((group.table.name, tuple(row[c] for c in cols)) for row in group.rows)
    return found


def remove_canonical(
    session: Session, merchant_id: str, seqs: Sequence[int], results: Sequence[EventResult]
) -> Removed:
    """Delete the canonical rows these seqs last wrote that their new parse does not write; the
    natural keys deleted, by seq and table."""
    if not seqs:
        return {}
    wanted = sorted(set(seqs))
    rewritten: set[tuple[str, tuple[Any, ...]]] = set()
    for result in results:
        if result.seq in wanted:
            rewritten |= _written(result)
    removed: Removed = defaultdict(dict)
    for table, natural_key in canonical_tables():
        if table.name in KEPT:
            continue
        keys = [table.c[c] for c in natural_key]
        found = session.execute(last_written(table, natural_key, merchant_id, wanted)).all()
        gone = [(row[0], tuple(row[1:])) for row in found if (table.name, tuple(row[1:])) not in rewritten]
        if not gone:
            continue
        for start in range(0, len(gone), 500):
            part = gone[start : start + 500]
            match = (
                keys[0].in_([k[0] for _s, k in part])
                if len(keys) == 1
                else tuple_(*keys).in_([k for _s, k in part])
            )
            session.execute(
                delete(table).where(
                    and_(table.c.merchant_id == merchant_id, table.c.evidence_seq.in_(wanted), match)
                )
            )
        for seq, key in gone:
            removed[seq].setdefault(table.name, []).append(list(key))
    return dict(removed)


def restore(
    session: Session,
    merchant_id: str,
    gone: Mapping[int, Sequence[tuple[str, str]]],
    removed_now: Removed,
    results: Sequence[EventResult],
    reparse: Callable[[Sequence[int]], Sequence[EventResult]],
) -> list[int]:
    """Put back, as a first parse would have left them, the canonical rows just deleted that another
    seq also writes (an order several webhooks updated: the retracted seq held its newest version).
    Run after the batch's own writes: a key the batch wrote again is already back. The other seqs
    are those whose last reading named one of the dropped (kind, entity) pairs; each is re-parsed
    from its sealed bytes (``reparse``, with the current parser) and its rows for the missing keys
    are written in seq order, so the forward-only upsert leaves the newest remaining version with
    the evidence seq that wrote it. Nothing else of those seqs is written or published. The keys
    stay in the retraction's ``removed``: R and Bubble re-derive them from the restored rows.
    Returns the seqs re-parsed."""
    written: set[tuple[str, tuple[Any, ...]]] = set()
    for result in results:
        if result.status == "parsed":
            written |= _written(result)
    missing = {
        (table, tuple(key))
        for by_table in removed_now.values()
        for table, keys in by_table.items()
        for key in keys
        if (table, tuple(key)) not in written
    }
    if not missing:
        return []
    pairs = {pair for seq, dropped_pairs in gone.items() if removed_now.get(seq) for pair in dropped_pairs}
    others = writers(session, merchant_id, pairs, exclude={r.seq for r in results})
    if not others:
        return []
    plans: list[list[UpsertGroup]] = []
    for result in sorted(reparse(others), key=lambda r: r.seq):
        if result.status != "parsed":
            continue
        plan = []
        for group in result.writes:
            cols = [c for c in group.key_cols if c != "merchant_id"]
            rows = [r for r in group.rows if (group.table.name, tuple(r[c] for c in cols)) in missing]
            if rows:
                plan.append(UpsertGroup(group.table, group.key_cols, group.update_only, rows))
        if plan:
            plans.append(plan)
    if plans:
        write_plans(session, plans)
    return others


def writers(
    session: Session, merchant_id: str, pairs: set[tuple[str, str]], *, exclude: set[int]
) -> list[int]:
    """The parsed seqs, other than ``exclude``, whose last reading named one of ``pairs``. The log
    has no index on what a reading named, so this reads the merchant's log rows that mention one
    of the entity ids (rare: only a batch with a retraction asks)."""
    if not pairs:
        return []
    mentions = [
        cast(LOG.c.entities, String).like(f"%{_escaped(json.dumps(entity)[1:-1])}%", escape="\\")
        for entity in sorted({entity for _kind, entity in pairs})
    ]
    found = session.execute(
        select(LOG.c.seq, LOG.c.entities).where(
            LOG.c.merchant_id == merchant_id, LOG.c.status == "parsed", or_(*mentions)
        )
    ).all()
    return sorted(
        seq
        for seq, entities in found
        if seq not in exclude and isinstance(entities, dict) and _pairs(entities.get("named")) & pairs
    )


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def last_written(
    table: Table, natural_key: Sequence[str], merchant_id: str, seqs: Sequence[int]
) -> Select[Any]:
    """The (evidence seq, natural key) of the rows of ``table`` these seqs last wrote: read through
    ``ix_<table>_evidence_seq`` (core/db/base.py, ``evidence_tables``), not a scan."""
    return select(table.c.evidence_seq, *(table.c[c] for c in natural_key)).where(
        table.c.merchant_id == merchant_id, table.c.evidence_seq.in_(list(seqs))
    )


def retractions(
    merchant_id: str,
    gone: Mapping[int, Sequence[tuple[str, str]]],
    removed: Removed,
    sources: Mapping[int, tuple[str, str]],
) -> dict[int, list[ParsedEvent]]:
    """The retraction events to publish ahead of each seq's new events."""
    return {
        seq: [
            ParsedEvent(
                merchant_id=merchant_id,
                evidence_seq=seq,
                source=sources[seq][0],
                source_type=sources[seq][1],
                kind=kind,
                entity_id=entity,
                facts={"removed": removed.get(seq, {})},
                retracted=True,
            )
            for kind, entity in pairs
        ]
        for seq, pairs in gone.items()
    }
