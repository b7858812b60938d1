"""Bubble's episodes as Chirp detections (A-BUBBLE-DEVICE, A-BUBBLE-STORE; docs/bubble.md "Signals").

Each scoring run (``core/bubble/service/scoring.py``) hands every episode it found to Chirp's engine
as a ``bubble_episode`` event (``core/bubble/signal.py``), with the tenant's configuration as Chirp
loads it: pinned catalog, mode, parameters, allow-list entries. What the rules find is written to
``app.detections`` in the run's own transaction, so the detections always match the episodes the
run stored:

- one detection per episode: its id is derived from the merchant, the rule and the episode id;
- a rerun that finds the same episode saying the same thing changes nothing; one that finds it
  changed (more hours, another peak, other evidence, a new allow-list entry) rewrites it with the
  next ``revision`` and, in alerting mode, publishes it again under the same id, so Fox updates the
  case that holds it;
- a detection whose episode the run no longer finds (late hours changed the model's view) is
  superseded: kept, suppressed with ``SUPERSEDED`` as its reason, one revision later, with an audit
  row, and, if it had been published, published again as withdrawn so Fox takes it out of its case;
  found again, it is revived one revision later still (and rejoins the case);
- dry-run writes nothing, observation writes, alerting writes ``pending`` and the outbox publishes
  after the commit (``core/rules/service/consumer.publish_pending``).

So the live detections depend only on the stored device-hours (and the tenant's configuration), not
on the order the hours arrived or how often the merchant was rescored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from core.bubble.results import Episode
from core.bubble.signal import episode_event
from core.db.tables.rules import DetectionRow
from core.rules.catalog import Catalog, default_catalog
from core.rules.engine import Engine
from core.rules.facts import Facts
from core.rules.model import Mode
from core.rules.service import store
from core.rules.service.detection_rows import detection_row
from core.rules.state import RuleState

RULE_IDS = ("A-BUBBLE-DEVICE", "A-BUBBLE-STORE")
SUPERSEDED = "bubble: episode no longer found on rescoring"
ACTOR = "bubble"
# What a rerun compares to decide whether an episode's detection changed.
CONTENT = (
    "rule_version",
    "family",
    "severity",
    "queue",
    "occurred_at",
    "location_id",
    "station_id",
    "bundle_key",
    "summary",
    "measurements",
    "snapshot",
    "suppressed",
    "suppression_reason",
    "allow_list_entry_id",
)


@dataclass(frozen=True)
class SignalSummary:
    written: int = 0  # new or rewritten detections
    unchanged: int = 0
    superseded: int = 0
    dry_run: int = 0
    suppressed: int = 0  # written, but matched an allow-list entry


def write_signals(
    session: Session,
    merchant_id: str,
    episodes: Sequence[Episode],
    now: datetime,
    catalog: Catalog | None = None,
) -> SignalSummary:
    """Evaluate the run's episodes with the tenant's configuration and bring the A-BUBBLE-*
    detections in line with them, inside the caller's (the run's) transaction."""
    engine = Engine(catalog or default_catalog())
    prepared = engine.prepare(store.load_config(session, merchant_id))
    found: list[dict[str, Any]] = []
    dry_run = 0
    for episode in episodes:
        facts = Facts.from_event(episode_event(merchant_id, episode))
        result = engine.evaluate(facts, RuleState(), prepared)
        if result.errors:
            raise RuntimeError("; ".join(f"{e.rule_id}: {e.error}" for e in result.errors))
        for ev in result.evaluations:
            if ev.mode is Mode.DRY_RUN:
                dry_run += 1
            else:
                found.append(detection_row(ev, merchant_id, now))
    held = {
        row.id: row
        for row in session.exec(
            select(DetectionRow).where(
                DetectionRow.merchant_id == merchant_id, col(DetectionRow.rule_id).in_(RULE_IDS)
            )
        ).all()
    }
    chosen, unchanged = [], 0
    for row in found:
        before = held.get(row["id"])
        if before is not None and before.suppression_reason != SUPERSEDED and _same(before, row):
            unchanged += 1
            continue
        row["revision"] = 0 if before is None else before.revision + 1
        chosen.append(row)
    store.write_detections(session, chosen)
    episode_ids = {e.id for e in episodes}
    gone = [
        old
        for old in held.values()
        if old.entity_id not in episode_ids and old.suppression_reason != SUPERSEDED
    ]
    for old in gone:
        _supersede(session, merchant_id, old, now)
    return SignalSummary(
        written=len(chosen),
        unchanged=unchanged,
        superseded=len(gone),
        dry_run=dry_run,
        suppressed=sum(bool(r["suppressed"]) for r in chosen),
    )


def _same(before: DetectionRow, row: Mapping[str, Any]) -> bool:
    return all(getattr(before, name) == row[name] for name in CONTENT)


def _supersede(session: Session, merchant_id: str, row: DetectionRow, now: datetime) -> None:
    why = f"{SUPERSEDED}: episode {row.entity_id} is not among the run's episodes"
    store.superseded(session, merchant_id, row, row.revision + 1, SUPERSEDED, actor=ACTOR, why=why, now=now)
