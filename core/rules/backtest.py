"""Backtests and dry runs: replay stored events through chosen rules with proposed parameters.

Point-in-time by construction: events are replayed in the order they happened (event time, then
evidence seq) into a fresh ``RuleState``, and each is evaluated before it is folded in, so a rule at
any event sees exactly the events before it, never one after. Events before ``start`` only warm the
windows; nothing at or after ``end`` is read. The replayed facts are the journal's copy of what the
consumer saw, not today's canonical rows, so a document edited later cannot leak into the past.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.domain.parsing import ParsedEvent
from core.rules.engine import Engine, Evaluation, RuleSettings, TenantConfig
from core.rules.facts import Facts
from core.rules.model import Case, Mode, ParamValue, Rule
from core.rules.record_loading import collector_paused
from core.rules.state import RuleState


@dataclass(frozen=True)
class Hit:
    detection_id: str
    rule_id: str
    occurred_at: datetime
    summary: str
    severity: str
    suppressed: bool
    suppression_reason: str | None
    evidence_seq: int
    entity_id: str | None
    measurements: Mapping[str, Any]

    @classmethod
    def of(cls, ev: Evaluation) -> Hit:
        return cls(
            detection_id=ev.detection_id,
            rule_id=ev.rule.id,
            occurred_at=ev.finding.occurred_at,
            summary=ev.finding.summary,
            severity=ev.severity.value,
            suppressed=ev.suppression is not None,
            suppression_reason=ev.suppression.reason if ev.suppression else None,
            evidence_seq=ev.facts.seq,
            entity_id=ev.finding.entity_id,
            measurements=dict(ev.finding.measurements),
        )


@dataclass
class BacktestResult:
    rule_ids: tuple[str, ...]
    start: datetime
    end: datetime
    params: dict[str, dict[str, ParamValue]]
    events_replayed: int = 0
    events_in_range: int = 0
    hits: list[Hit] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def count(self, rule_id: str | None = None, *, include_suppressed: bool = False) -> int:
        return sum(
            1
            for h in self.hits
            if (rule_id is None or h.rule_id == rule_id) and (include_suppressed or not h.suppressed)
        )

    def by_rule(self) -> dict[str, int]:
        return dict(Counter(h.rule_id for h in self.hits if not h.suppressed))


def ordered(events: Iterable[Facts]) -> list[Facts]:
    return sorted(events, key=lambda f: (f.ts, f.seq))


def backtest(
    events: Iterable[Facts],
    engine: Engine,
    *,
    rule_ids: Iterable[str],
    start: datetime,
    end: datetime,
    base: TenantConfig | None = None,
    proposed: Mapping[str, Mapping[str, object]] | None = None,
) -> BacktestResult:
    """What ``rule_ids`` would have found in [start, end) with the tenant's parameters (``base``)
    overlaid by ``proposed`` ({rule id: {parameter: value}}), allow-list entries included."""
    base = base or TenantConfig()
    chosen = tuple(rule_ids)
    settings = {}
    for rule_id in chosen:
        held = base.rules.get(rule_id, RuleSettings())
        params = {**held.params, **(proposed or {}).get(rule_id, {})}
        engine.catalog.get(rule_id).resolve(params)  # bounds are checked before any replay
        settings[rule_id] = RuleSettings(mode=Mode.ALERTING, params=params, version=held.version)
    config = TenantConfig(
        catalog_version=base.catalog_version,
        rules=settings,
        allow_list=base.allow_list,
        only=frozenset(chosen),
    )
    prepared = engine.prepare(config)
    result = BacktestResult(chosen, start, end, {a.rule.id: dict(a.params) for a in prepared.active})
    state = RuleState()
    hits: dict[str, Hit] = {}  # an episode's later revision replaces its earlier one, as in the store
    with collector_paused():  # the replayed facts and the state are long-lived: see record_loading.py
        for facts in ordered(events):
            if facts.occurred_at >= end:
                break
            outcome = engine.evaluate(facts, state, prepared)
            result.events_replayed += 1
            result.errors += [f"{e.rule_id}: {e.error}" for e in outcome.errors]
            if facts.occurred_at >= start:
                result.events_in_range += 1
                for ev in outcome.evaluations:
                    if ev.withdrawn:  # the episode no longer holds: as the store, nothing to count
                        hits.pop(ev.detection_id, None)
                    else:
                        hits[ev.detection_id] = Hit.of(ev)
    result.hits = list(hits.values())
    return result


def run_case(engine: Engine, rule: Rule, case: Case) -> list[Evaluation]:
    """A rule's case: its events in order, numbered as the ledger would, through that rule alone."""
    config = TenantConfig(
        rules={rule.id: RuleSettings(mode=Mode.ALERTING, params=dict(case.params))}, only=frozenset({rule.id})
    )
    return run_events(engine, case.events(), config)


def run_events(
    engine: Engine, events: Iterable[ParsedEvent], config: TenantConfig, state: RuleState | None = None
) -> list[Evaluation]:
    """The final detections of ``events`` in the order given: one per detection id, an episode's
    last revision (none for an episode whose last revision withdrew it)."""
    prepared = engine.prepare(config)
    state = state if state is not None else RuleState()
    out: dict[str, Evaluation] = {}
    for seq, event in enumerate(events, start=1):
        facts = Facts.from_event(event.model_copy(update={"evidence_seq": seq}))
        outcome = engine.evaluate(facts, state, prepared)
        if outcome.errors:
            raise RuntimeError("; ".join(f"{e.rule_id}: {e.error}" for e in outcome.errors))
        out.update((ev.detection_id, ev) for ev in outcome.evaluations)
    return [ev for ev in out.values() if not ev.withdrawn]
