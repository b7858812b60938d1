"""Q's consumer: the ``chirp`` group on ``canary:detection`` (a ``Stage`` for the worker runner).

A ``core.consumers.tracked`` consumer: per merchant and batch, one transaction (under an advisory
lock on Postgres) evaluates the events in seq order and writes, together: the detections
(observation and alerting modes only), the event journal, the rule state slices that changed, and
one ``processed_messages`` key per event. So a
redelivered message finds its key and changes nothing, and a restarted consumer continues from the
stored windows. Alerts leave through an outbox: alerting detections are written ``pending`` and
published to ``canary:alerts`` after the commit, then marked ``published``; a crash in between
leaves them pending and the next batch for that merchant publishes them (Fox de-duplicates on the
detection id, which is deterministic, and its revision). An episode's detection that grows (Q-VR-03)
is rewritten in place with the next revision and published again under the same id; one superseded
(a replay that reclassified its event, a Bubble rescore, or an episode a late event shows no longer
holds: ``store.withdraw``) is published again carrying ``withdrawn``.

The state is cached per merchant between batches; each batch compares slice versions with the
database and reloads only what another worker changed.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol

from sqlmodel import Session

from core.bus.port import ALERTS, PARSED_EVENTS
from core.clock import Clock
from core.consumers.tracked import Batch, ParsedEventConsumer
from core.db.dialect import MerchantLock
from core.db.tables.rules import DetectionRow
from core.db.uow import Database
from core.domain.parsing import ParsedEvent
from core.rules import refold, windows
from core.rules.catalog import Catalog, default_catalog
from core.rules.engine import Engine
from core.rules.facts import Facts
from core.rules.model import Mode
from core.rules.record_loading import collector_paused
from core.rules.service import store
from core.rules.service.detection_rows import detection_row
from core.rules.state import RuleState

log = logging.getLogger(__name__)


class Publisher(Protocol):
    def publish(self, stream: str, fields: Mapping[str, str]) -> str: ...


@dataclass(frozen=True)
class BatchSummary:
    events: int = 0
    duplicates: int = 0
    detections: int = 0
    suppressed: int = 0
    withdrawn: int = 0
    dry_run: int = 0
    published: int = 0
    rule_errors: int = 0


class ChirpStage(ParsedEventConsumer[BatchSummary]):
    name = "chirp"
    stream = PARSED_EVENTS
    group = "chirp"
    consumer = store.CONSUMER

    def __init__(self, db: Database, bus: Publisher, clock: Clock, catalog: Catalog | None = None) -> None:
        super().__init__(db, clock, MerchantLock("canary.chirp"))
        self._bus = bus
        self.engine = Engine(catalog or default_catalog())
        self._retention = {**windows.retention(), **windows.memory_retention(self.engine.catalog.rules)}
        self._states: dict[str, tuple[RuleState, dict[str, int]]] = {}

    def apply_batch(self, session: Session, batch: Batch[ParsedEvent]) -> BatchSummary:
        counts: dict[str, int] = defaultdict(int)
        counts["duplicates"] = batch.duplicates
        if batch.fresh:
            self._evaluate(session, batch.merchant_id, batch.fresh, counts)
        store.log_expired_entries(session, batch.merchant_id, self._clock.now())
        return BatchSummary(events=batch.received, **counts)

    def on_rollback(self, merchant_id: str) -> None:
        # The cached state already holds this batch's effects, which were rolled back.
        self.forget_cache(merchant_id)

    def after_commit(self, merchant_id: str, summary: BatchSummary) -> BatchSummary:
        return replace(summary, published=self.publish_pending(merchant_id))

    def _evaluate(
        self, session: Session, merchant_id: str, events: Sequence[ParsedEvent], counts: dict[str, int]
    ) -> None:
        now = self._clock.now()
        prepared = self.engine.prepare(store.load_config(session, merchant_id))
        state, versions = self._state(session, merchant_id)
        customers = {
            str(c)
            for e in events
            if isinstance(t := e.facts.get("transaction"), dict) and (c := t.get("customer_id"))
        }
        store.preload_reference(session, merchant_id, state, customers)
        # A replay whose parse changed: what the old parse triggered is superseded, not kept twice;
        # a retraction (the seq no longer names that entity) supersedes it and drops its journal row.
        retracted = [e for e in events if e.retracted]
        events = [e for e in events if not e.retracted]
        corrections = [*store.corrected(session, merchant_id, events), *retracted]
        superseded = store.supersede(session, merchant_id, corrections, now)
        # The windows the old readings were folded into are folded again without them (and again
        # after the batch, with the new readings in their seq order): core/rules/refold.py.
        refolding = self._refold_plan(session, merchant_id, state, corrections)
        store.unjournal(session, merchant_id, retracted)
        if refolding is not None:
            keys, start, skip = refolding
            before = [f for f in store.load_journal(session, merchant_id, start, None) if _key(f) not in skip]
            refold.refold(state, before, keys)
            refold.reopen_episodes(state, merchant_id, superseded)
        if not events:
            if refolding is not None:
                store.save_state(session, merchant_id, state, versions, now)
            return
        # an entity named again after a retraction: its superseded detections are revived
        superseded = {**store.replayed(session, merchant_id, events), **superseded}
        rows, journal = [], []
        last: dict[str, tuple[int, str]] = {}  # per detection: its last revision and, if withdrawn, why
        # The merchant's state is long-lived and holds no reference cycles: the collector's passes
        # over it during the batch were ~30 % of the engine's CPU (docs/benchmarks.md).
        with collector_paused():
            for event in events:
                facts = Facts.from_event(event, fallback_time=now)
                result = self.engine.evaluate(facts, state, prepared)
                counts["rule_errors"] += len(result.errors)
                journal.append((event, facts))
                for ev in result.evaluations:
                    if ev.mode is Mode.DRY_RUN:
                        counts["dry_run"] += 1
                        continue
                    last[ev.detection_id] = (ev.revision, ev.withdrawn)
                    if ev.withdrawn:
                        continue
                    rows.append(detection_row(ev, merchant_id, now))
                    counts["suppressed" if ev.suppression else "detections"] += 1
        for row in rows:  # found again by the new parse: revived, one revision after superseding
            if row["id"] in superseded:
                row["revision"] = max(row["revision"], superseded[row["id"]] + 1)
        store.write_detections(session, rows)
        # An episode whose last word in the batch withdrew it: superseded after any live revision of
        # the batch was written, so one found and withdrawn in the same batch is never published.
        withdrawals = [(d, revision, why) for d, (revision, why) in last.items() if why]
        counts["withdrawn"] += store.withdraw(session, merchant_id, withdrawals, now)
        store.journal(session, merchant_id, journal)
        if refolding is not None:
            keys, start, _skip = refolding
            refold.refold(state, store.load_journal(session, merchant_id, start, None), keys)
        state.sweep(max(f.ts for _e, f in journal), self._retention)
        store.save_state(session, merchant_id, state, versions, now)

    def _refold_plan(
        self, session: Session, merchant_id: str, state: RuleState, corrections: Sequence[ParsedEvent]
    ) -> tuple[refold.Touched, datetime, set[tuple[int, str, str]]] | None:
        """For a batch with corrections: the window keys their old and new readings fold into, the
        event time the journal is read from to rebuild them, and the (seq, kind, entity) of the old
        readings the first rebuild leaves out; None when no window is touched."""
        if not corrections:
            return None
        old = store.journalled(session, merchant_id, corrections)
        new = [Facts.from_event(e, fallback_time=self._clock.now()) for e in corrections if not e.retracted]
        keys = refold.touched([*old, *new])
        if not keys:
            return None
        start = refold.horizon(state, keys, [*old, *new])
        return keys, datetime.fromtimestamp(start, UTC), {_key(f) for f in old}

    def _state(self, session: Session, merchant_id: str) -> tuple[RuleState, dict[str, int]]:
        state, versions = self._states.get(merchant_id) or (RuleState(), {})
        stored = store.state_versions(session, merchant_id)
        stale = [name for name, version in stored.items() if versions.get(name) != version]
        if stale:
            loaded = store.load_slices(session, merchant_id, stale)
            state.load({name: data for name, (data, _v) in loaded.items()})
            versions.update({name: v for name, (_d, v) in loaded.items()})
        self._states[merchant_id] = (state, versions)
        return state, versions

    def forget_cache(self, merchant_id: str | None = None) -> None:
        """Drop cached state (all merchants when none is named); the next batch reloads it."""
        if merchant_id is None:
            self._states.clear()
        else:
            self._states.pop(merchant_id, None)

    def publish_pending(self, merchant_id: str) -> int:
        return publish_pending(self._db, self._bus, merchant_id, self._clock)


def publish_pending(db: Database, bus: Publisher, merchant_id: str, clock: Clock) -> int:
    """The outbox: publish the merchant's pending alerting detections to ``canary:alerts`` and mark
    them published (Chirp's consumer after each batch, Bubble's scoring after each run)."""
    with db.tenant(merchant_id) as session:
        pending = store.pending_alerts(session, merchant_id)
        messages = [(row.id, _alert_fields(row)) for row in pending]
    sent: list[str] = []
    for detection_id, fields in messages:
        bus.publish(ALERTS, fields)
        sent.append(detection_id)
    if sent:
        with db.tenant(merchant_id) as session:
            store.mark_published(session, merchant_id, sent, clock.now())
    return len(sent)


def _key(facts: Facts) -> tuple[int, str, str]:
    return (facts.seq, facts.kind[:40], facts.entity_id[:300])


def _alert_fields(row: DetectionRow) -> dict[str, str]:
    return {
        "merchant_id": row.merchant_id,
        "detection_id": row.id,
        "rule_id": row.rule_id,
        "rule_version": str(row.rule_version),
        "severity": row.severity,
        "queue": row.queue,
        "family": row.family,
        "bundle_key": row.bundle_key or "",
        "occurred_at": row.occurred_at.isoformat(),
        "employee_id": row.employee_id or "",
        "customer_id": row.customer_id or "",
        "location_id": row.location_id or "",
        "station_id": row.station_id or "",
        "drawer_session_id": row.drawer_session_id or "",
        "summary": row.summary,
        "revision": str(row.revision),
        # a superseded detection (store.superseded_alert_state): Fox withdraws it from its case
        "withdrawn": (row.suppression_reason or "superseded")[:120] if row.suppressed else "",
    }
