"""Corrections: what a re-parse that reads a sealed event differently, or a late event that
invalidates an episode, does to Q's rows.

A replayed event whose parse changed arrives under a new message key (``core/consumers/keys.py``)
with the (seq, kind, entity) the journal already holds. Before it is evaluated, the detections
that entity triggered are superseded: kept, suppressed with the reason ``replayed: reclassified``,
one revision later, with an audit row saying what they were; never deleted. One that had been
published as an alert is pending again, so the outbox tells Fox it is withdrawn. The evaluation then
writes what the new parse finds, and a detection it finds again is revived one revision later
still (docs/tsp-ops.md, "Replay safety").

A retraction (the re-parse of the seq no longer names that kind and entity at all:
core/pipeline/retraction.py) supersedes the same way and drops the entity's journal row; should a
later replay name the entity again, ``replayed`` finds its superseded detections and they are
revived like any found again.

A rule that finds, on a later-arriving but earlier-timed event, that an episode it detected no longer
holds (``Finding.withdrawal``: a baseline week that arrived late, an item whose category arrived
after its write-offs) has the engine emit a withdrawal: ``withdraw`` supersedes the detection the
same way, with ``withdrawn: <why>`` as its reason, and the next finding for the episode revives it
(docs/rules.md, "Arrival order").
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, delete, tuple_, update
from sqlmodel import Session, col, select

from core.db.tables.rules import DetectionRow, RuleEventJournalRow
from core.domain.parsing import ParsedEvent
from core.rules.service.store.audit import audit
from core.rules.service.store.detections import superseded_alert_state

REPLAYED = "replayed: reclassified"
ACTOR = "replay"
ACTOR_RULES = "chirp"  # a withdrawal is the rules' own correction
WITHDRAWN = "withdrawn"  # a withdrawal's reason is "withdrawn: <why the episode no longer holds>"


def corrected(session: Session, merchant_id: str, events: Sequence[ParsedEvent]) -> list[ParsedEvent]:
    """The events whose (seq, kind, entity) the journal already holds: re-parses, not first parses
    (a redelivery never gets here, its key is already processed)."""
    wanted = {(e.evidence_seq, e.kind[:40], e.entity_id[:300]): e for e in events}
    if not wanted:
        return []
    held = session.exec(
        select(RuleEventJournalRow.seq, RuleEventJournalRow.kind, RuleEventJournalRow.entity_id).where(
            RuleEventJournalRow.merchant_id == merchant_id,
            col(RuleEventJournalRow.seq).in_(sorted({seq for seq, _k, _e in wanted})),
        )
    ).all()
    return [wanted[key] for key in map(tuple, held) if key in wanted]


def replayed(session: Session, merchant_id: str, events: Sequence[ParsedEvent]) -> dict[str, int]:
    """The revisions of detections these events' (seq, kind, entity) triggered under an earlier
    parse and a replay superseded, by id: a parse that names the entity again (a retraction undone)
    finds them again and revives them one revision later."""
    keys = {(e.evidence_seq, e.kind[:40], e.entity_id[:300]) for e in events}
    if not keys:
        return {}
    found: dict[str, int] = {}
    seqs = sorted({seq for seq, _k, _e in keys})
    for start in range(0, len(seqs), 500):
        for row in session.exec(
            select(
                DetectionRow.id,
                DetectionRow.revision,
                DetectionRow.evidence_seq,
                DetectionRow.event_kind,
                DetectionRow.entity_id,
            ).where(
                DetectionRow.merchant_id == merchant_id,
                col(DetectionRow.evidence_seq).in_(seqs[start : start + 500]),
                DetectionRow.suppression_reason == REPLAYED,
            )
        ).all():
            if (row[2], row[3], row[4]) in keys:
                found[row[0]] = row[1]
    return found


def unjournal(session: Session, merchant_id: str, events: Sequence[ParsedEvent]) -> None:
    """Drop the journal rows of retracted (seq, kind, entity): a first parse with the new parser
    never produced them, so backtests must not replay them."""
    keys = sorted({(e.evidence_seq, e.kind[:40], e.entity_id[:300]) for e in events})
    for start in range(0, len(keys), 500):
        session.execute(
            delete(RuleEventJournalRow).where(
                col(RuleEventJournalRow.merchant_id) == merchant_id,
                tuple_(
                    col(RuleEventJournalRow.seq),
                    col(RuleEventJournalRow.kind),
                    col(RuleEventJournalRow.entity_id),
                ).in_(keys[start : start + 500]),
            )
        )


def supersede(
    session: Session, merchant_id: str, events: Sequence[ParsedEvent], now: datetime
) -> dict[str, int]:
    """Supersede the live detections these re-parsed events' entities triggered; the revision each
    of their detections (superseded now or by an earlier replay) has, by id."""
    if not events:
        return {}
    keys = [(e.evidence_seq, e.kind[:40], e.entity_id[:300]) for e in events]
    held = session.exec(
        select(DetectionRow).where(
            DetectionRow.merchant_id == merchant_id,
            col(DetectionRow.evidence_seq).in_(sorted({seq for seq, _k, _e in keys})),
            tuple_(
                col(DetectionRow.evidence_seq), col(DetectionRow.event_kind), col(DetectionRow.entity_id)
            ).in_(keys),
        )
    ).all()
    revisions = {row.id: row.revision for row in held}  # superseded already: revived if found again
    for row in held:
        if row.suppression_reason == REPLAYED:
            continue
        revision = row.revision + 1
        why = f"{REPLAYED}: evidence seq {row.evidence_seq} was re-parsed and reads differently"
        superseded(session, merchant_id, row, revision, REPLAYED, actor=ACTOR, why=why, now=now)
        revisions[row.id] = revision
    return revisions


def withdraw(
    session: Session, merchant_id: str, withdrawals: Sequence[tuple[str, int, str]], now: datetime
) -> int:
    """Supersede the live detections the engine withdrew, each (detection id, revision, why) the last
    word on its detection in the batch; returns how many were withdrawn. A detection already
    superseded (replayed, or withdrawn) is left as it is."""
    wanted = {detection_id: (revision, why) for detection_id, revision, why in withdrawals}
    if not wanted:
        return 0
    held = session.exec(
        select(DetectionRow).where(
            DetectionRow.merchant_id == merchant_id, col(DetectionRow.id).in_(sorted(wanted))
        )
    ).all()
    done = 0
    for row in held:
        if row.suppression_reason == REPLAYED or (row.suppression_reason or "").startswith(WITHDRAWN):
            continue
        revision, why = wanted[row.id]
        revision = max(revision, row.revision + 1)
        reason = f"{WITHDRAWN}: {why}"[:500]
        superseded(session, merchant_id, row, revision, reason, actor=ACTOR_RULES, why=reason, now=now)
        done += 1
    return done


def superseded(
    session: Session,
    merchant_id: str,
    row: DetectionRow,
    revision: int,
    reason: str,
    *,
    actor: str,
    why: str,
    now: datetime,
) -> None:
    """Suppress ``row`` with ``reason`` at ``revision`` (an alert Fox was told about is pending again,
    so the outbox republishes it withdrawn) and audit what it was."""
    before = {"revision": row.revision, "suppressed": row.suppressed, "reason": row.suppression_reason}
    session.execute(
        update(DetectionRow)
        .where(and_(col(DetectionRow.merchant_id) == merchant_id, col(DetectionRow.id) == row.id))
        .values(
            suppressed=True,
            suppression_reason=reason,
            revision=revision,
            updated_at=now,
            alert_state=superseded_alert_state(row.alert_state, row.published_at),
        )
    )
    audit(
        session,
        merchant_id,
        at=now,
        actor=actor,
        action="detection_superseded",
        rule_id=row.rule_id,
        target=row.id,
        before=before,
        after={"revision": revision, "suppressed": True, "reason": reason},
        reason=why,
    )
