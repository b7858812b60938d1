"""The engine: one event through every applicable rule, given the tenant's state and configuration.

Pure: no database, no bus. ``prepare`` resolves a tenant's configuration once (pinned catalog, modes,
parameter values checked against their bounds, allow-list entries per rule); ``evaluate`` runs one
event. Every rule in the pinned catalog runs whatever its mode, so windows and accumulators are the
same in dry-run as in alerting and a promotion changes only what is written; the caller drops
dry-run evaluations. After the rules have read the state, the event is folded into it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.rules import allow_lists, windows
from core.rules.allow_lists import AllowListEntry
from core.rules.catalog import Catalog
from core.rules.context import RuleContext
from core.rules.facts import Facts
from core.rules.model import Evaluate, Finding, Mode, ParamValue, Rule, Severity
from core.rules.state import RuleState, memory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RuleSettings:
    mode: Mode = Mode.DRY_RUN
    params: Mapping[str, Any] = field(default_factory=dict)  # overrides of the defaults
    version: int = 0  # the tenant's configuration version for this rule


@dataclass(frozen=True)
class TenantConfig:
    catalog_version: str | None = None  # None: the latest catalog
    rules: Mapping[str, RuleSettings] = field(default_factory=dict)
    allow_list: tuple[AllowListEntry, ...] = ()
    default_mode: Mode = Mode.DRY_RUN  # Q.7.1: a new tenant starts with every rule in dry-run
    only: frozenset[str] | None = None  # evaluate just these rules (backtests, cases)


@dataclass(frozen=True)
class Suppression:
    entry_id: str
    reason: str
    scope: str
    expires_at: datetime


@dataclass(frozen=True)
class Evaluation:
    detection_id: str
    rule: Rule
    finding: Finding
    mode: Mode
    params: Mapping[str, ParamValue]
    config_version: int
    catalog_version: str
    suppression: Suppression | None
    facts: Facts
    revision: int = 0  # an episode's detection: how many times it has been updated since it first fired

    @property
    def severity(self) -> Severity:
        return self.finding.severity or self.rule.severity

    @property
    def withdrawn(self) -> str:
        """Why the episode's detection is withdrawn (``Finding.withdrawal``); empty for a finding."""
        return self.finding.withdrawn


@dataclass(frozen=True)
class RuleError:
    rule_id: str
    error: str


@dataclass
class Result:
    evaluations: list[Evaluation] = field(default_factory=list)
    errors: list[RuleError] = field(default_factory=list)


@dataclass(frozen=True)
class ActiveRule:
    rule: Rule
    mode: Mode
    params: Mapping[str, ParamValue]
    config_version: int
    allow: tuple[AllowListEntry, ...]


@dataclass
class Prepared:
    catalog_version: str
    active: list[ActiveRule]
    tracked: Mapping[str, tuple[str, ...]]
    _dispatch: dict[frozenset[str], list[ActiveRule]] = field(default_factory=dict)
    _calls: dict[frozenset[str], list[tuple[Evaluate, Mapping[str, ParamValue], str, ActiveRule]]] = field(
        default_factory=dict
    )

    def for_event(self, present: frozenset[str]) -> list[ActiveRule]:
        hit = self._dispatch.get(present)
        if hit is None:
            hit = self._dispatch[present] = [a for a in self.active if a.rule.triggers & present]
        return hit

    def calls(
        self, present: frozenset[str]
    ) -> list[tuple[Evaluate, Mapping[str, ParamValue], str, ActiveRule]]:
        """``for_event``'s rules as (evaluate, params, rule id, active rule), looked up once per set of
        entities present rather than attribute by attribute on every event."""
        hit = self._calls.get(present)
        if hit is None:
            hit = self._calls[present] = [
                (a.rule.evaluate, a.params, a.rule.id, a) for a in self.for_event(present)
            ]
        return hit

    def mode_of(self, rule_id: str) -> Mode | None:
        return next((a.mode for a in self.active if a.rule.id == rule_id), None)


def detection_id(merchant_id: str, rule_id: str, facts: Facts, finding: Finding, index: int) -> str:
    """Deterministic, so a redelivered event rewrites the same detection instead of adding one. An
    episode's id depends on the episode alone, not on the event that completed or grew it."""
    if finding.episode is not None:
        return episode_detection_id(merchant_id, f"{rule_id}|episode|{finding.episode}")
    what = finding.dedupe_key or finding.entity_id
    key = f"{merchant_id}|{rule_id}|{facts.seq}|{facts.entity_id}|{what}|{index}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def episode_detection_id(merchant_id: str, fired_key: str) -> str:
    """An episode's detection id, from its ``FIRED`` key (``<rule>|episode|<episode>``)."""
    return hashlib.sha256(f"{merchant_id}|{fired_key}".encode()).hexdigest()[:32]


class Engine:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._tracked = catalog.tracked_fields()

    def prepare(self, config: TenantConfig) -> Prepared:
        version = config.catalog_version or self.catalog.latest
        active = []
        for rule in self.catalog.rules_for(version):
            if config.only is not None and rule.id not in config.only:
                continue
            settings = config.rules.get(rule.id, RuleSettings(mode=config.default_mode))
            entries = tuple(
                sorted((e for e in config.allow_list if e.rule_id == rule.id), key=lambda e: e.created_at)
            )
            active.append(
                ActiveRule(rule, settings.mode, rule.resolve(settings.params), settings.version, entries)
            )
        return Prepared(version, active, self._tracked)

    def evaluate(self, facts: Facts, state: RuleState, prepared: Prepared) -> Result:
        result = Result()
        ctx = RuleContext(facts, {}, state, memory(state, ""), "")
        memories = state.memories
        for evaluate, params, rule_id, active in prepared.calls(facts.present):
            ctx.params, ctx.rule_id = params, rule_id
            ctx.memory = memories.get(rule_id) or memory(state, rule_id)
            # One rule's bug must not blind the other rules: it is logged, counted and skipped.
            try:
                findings = evaluate(ctx)
                if not findings:
                    continue
                findings = list(findings)
            except Exception as exc:
                rule = active.rule
                log.exception("rule failed", extra={"rule_id": rule.id, "seq": facts.seq})
                result.errors.append(RuleError(rule.id, f"{type(exc).__name__}: {exc}"))
                continue
            rule = active.rule
            for index, finding in enumerate(findings):
                revision = 0
                if finding.episode is not None:
                    # One detection per episode: emitted again (same id, next revision) only when it
                    # grows, so a redelivery or an event that adds nothing changes nothing. A
                    # withdrawal is emitted only for a live detection; a withdrawn one is revived by
                    # the next finding for its episode, whatever its extent. The record is
                    # [newest ts, extent, revision] and, once withdrawn, a fourth element 1.
                    key = f"{rule.id}|episode|{finding.episode}"
                    held = windows.FIRED.get(state, key)
                    gone = held is not None and len(held) > 3 and bool(held[3])
                    if finding.withdrawn:
                        if held is None or gone:
                            continue
                        revision = int(held[2]) + 1
                        windows.FIRED.put(state, key, [max(facts.ts, held[0]), held[1], revision, 1])
                    else:
                        if held is not None and not gone and finding.extent <= held[1]:
                            continue
                        revision = 0 if held is None else int(held[2]) + 1
                        windows.FIRED.put(
                            state,
                            key,
                            [max(facts.ts, held[0]) if held else facts.ts, finding.extent, revision],
                        )
                elif finding.dedupe_key is not None:
                    key = f"{rule.id}|{finding.dedupe_key}"
                    if windows.FIRED.get(state, key) is not None:
                        continue
                    windows.FIRED.put(state, key, facts.ts)
                entry = (
                    None
                    if finding.withdrawn
                    else allow_lists.find(active.allow, finding.subject, finding.occurred_at)
                )
                suppression = (
                    None
                    if entry is None
                    else Suppression(entry.id, entry.reason, entry.describe(), entry.expires_at)
                )
                result.evaluations.append(
                    Evaluation(
                        detection_id=detection_id(facts.merchant_id, rule.id, facts, finding, index),
                        rule=rule,
                        finding=finding,
                        mode=active.mode,
                        params=active.params,
                        config_version=active.config_version,
                        catalog_version=prepared.catalog_version,
                        suppression=suppression,
                        facts=facts,
                        revision=revision,
                    )
                )
        windows.apply(state, facts, prepared.tracked)
        return result
