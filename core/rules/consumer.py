"""Q's consumer: the ``chirp`` group on ``canary:detection`` (a ``Stage`` for the worker runner).

Per merchant and batch, one transaction (under an advisory lock on Postgres) evaluates the events in
seq order and writes, together: the detections (observation and alerting modes only), the event
journal, the rule state slices that changed, and one ``processed_messages`` key per event. So a
redelivered message finds its key and changes nothing, and a restarted consumer continues from the
stored windows. Alerts leave through an outbox: alerting detections are written ``pending`` and
published to ``canary:alerts`` after the commit, then marked ``published``; a crash in between
leaves them pending and the next batch for that merchant publishes them (Fox de-duplicates on the
detection id, which is deterministic).

The state is cached per merchant between batches; each batch compares slice versions with the
database and reloads only what another worker changed.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlmodel import Session

from core.bus.port import ALERTS, DETECTION
from core.clock import Clock
from core.db.tables.rules import DetectionRow
from core.db.uow import Database
from core.domain.parsing import DetectionEvent
from core.rules import store, windows
from core.rules.catalog import Catalog, default_catalog
from core.rules.engine import Engine
from core.rules.facts import Facts
from core.rules.model import Mode
from core.rules.records import detection_row
from core.rules.state import RuleState

log = logging.getLogger(__name__)


class Publisher(Protocol):
    def publish(self, stream: str, fields: Mapping[str, str]) -> str: ...


class Delivered(Protocol):
    @property
    def fields(self) -> Mapping[str, str]: ...


@dataclass(frozen=True)
class BatchSummary:
    events: int = 0
    duplicates: int = 0
    detections: int = 0
    suppressed: int = 0
    dry_run: int = 0
    published: int = 0
    rule_errors: int = 0


def message_key(event: DetectionEvent) -> str:
    """(seq, kind, entity): one sealed event may publish several detection events."""
    key = f"{event.evidence_seq}:{event.kind}:{event.entity_id}"
    if len(key) <= 200:
        return key
    return (
        f"{event.evidence_seq}:{event.kind[:40]}:#{hashlib.sha256(event.entity_id.encode()).hexdigest()[:32]}"
    )


class ChirpStage:
    name = "chirp"
    stream = DETECTION
    group = "chirp"

    def __init__(self, db: Database, bus: Publisher, clock: Clock, catalog: Catalog | None = None) -> None:
        self._db, self._bus, self._clock = db, bus, clock
        self.engine = Engine(catalog or default_catalog())
        self._retention = {**windows.retention(), **windows.memory_retention(self.engine.catalog.rules)}
        self._states: dict[str, tuple[RuleState, dict[str, int]]] = {}

    def handle(self, batch: Sequence[Delivered]) -> None:
        by_merchant: dict[str, list[DetectionEvent]] = defaultdict(list)
        for message in batch:
            event = DetectionEvent.model_validate_json(message.fields["event"])
            by_merchant[event.merchant_id].append(event)
        for merchant_id, events in by_merchant.items():
            self.process(merchant_id, events)

    def process(self, merchant_id: str, events: Sequence[DetectionEvent]) -> BatchSummary:
        try:
            return self._process(merchant_id, events)
        except BaseException:
            # The cached state already holds this batch's effects, which were rolled back.
            self.forget_cache(merchant_id)
            raise

    def _process(self, merchant_id: str, events: Sequence[DetectionEvent]) -> BatchSummary:
        now = self._clock.now()
        counts: dict[str, int] = defaultdict(int)
        with self._db.tenant(merchant_id) as session:
            store.lock(session, merchant_id)
            keyed = {message_key(e): e for e in events if e.merchant_id == merchant_id}
            done = store.processed(session, merchant_id, list(keyed))
            fresh = sorted(
                ((k, e) for k, e in keyed.items() if k not in done), key=lambda ke: ke[1].evidence_seq
            )
            counts["duplicates"] = len(events) - len(fresh)
            if fresh:
                self._evaluate(session, merchant_id, [e for _k, e in fresh], counts)
                store.mark_processed(session, merchant_id, [k for k, _e in fresh], now)
            store.log_expired_entries(session, merchant_id, now)
        counts["published"] = self.publish_pending(merchant_id)
        return BatchSummary(events=len(events), **counts)

    def _evaluate(
        self, session: Session, merchant_id: str, events: Sequence[DetectionEvent], counts: dict[str, int]
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
        rows, journal = [], []
        for event in events:
            facts = Facts.from_event(event, fallback_time=now)
            result = self.engine.evaluate(facts, state, prepared)
            counts["rule_errors"] += len(result.errors)
            journal.append((event, facts))
            for ev in result.evaluations:
                if ev.mode is Mode.DRY_RUN:
                    counts["dry_run"] += 1
                    continue
                rows.append(detection_row(ev, merchant_id, now))
                counts["suppressed" if ev.suppression else "detections"] += 1
        store.write_detections(session, rows)
        store.journal(session, merchant_id, journal)
        state.sweep(max(f.ts for _e, f in journal), self._retention)
        store.save_state(session, merchant_id, state, versions, now)

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
        with self._db.tenant(merchant_id) as session:
            pending = store.pending_alerts(session, merchant_id)
            messages = [(row.id, _alert_fields(row)) for row in pending]
        sent: list[str] = []
        for detection_id, fields in messages:
            self._bus.publish(ALERTS, fields)
            sent.append(detection_id)
        if sent:
            with self._db.tenant(merchant_id) as session:
                store.mark_published(session, merchant_id, sent, self._clock.now())
        return len(sent)


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
    }
