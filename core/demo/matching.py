"""Which simulator labels a detection matches (docs/simulator.md, "Labels"). Pure: no database.

A detection names things in Canary's ids (``cp:employee:VTANAKA23``, ``sq:drawer_shift:<id>``,
``cp:doc:<DOC_GUID>``, ``cp:receiver:20:RCV1``, ``20|cp:category:SHRUBS|2026-W10``); a label names
them in the vendor's (entity ``employee``/``VTANAKA23``, objects ``document``/``<DOC_GUID>``,
``PO_RECVR_HIST``/``20/RCV1``). Both are reduced to *keys* ``<kind>:<vendor id>`` and a detection
**touches** a label when

1. they share a key — the label's entity or one of its objects is among the detection's entity,
   employee, customer, station, store, drawer session, vendor or categories; and
2. the detection's ``occurred_at`` lies in the label's window widened by ``SLACK`` on each side
   (a trend rule reports when its bucket crosses the line, a drawer rule when the shift closes).

A touched label then decides what the detection is, in this order:

- **true positive**: a positive label for the detection's rule;
- **false positive (hard negative)**: a hard-negative label for its rule, unless the detection went
  to the label's ``allowed_queue``;
- **tolerated**: the rule is in a touched label's ``also_may_fire``, or it is a hard negative's rule
  in its allowed queue — neither rewarded nor charged;
- **false positive (unlabelled)**: nothing above.

A positive label is **found** when at least one true-positive detection matched it; otherwise it is
a miss. A hard negative **stayed quiet** when no detection was charged to it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

SLACK = timedelta(hours=2)
Verdict = Literal["true_positive", "false_positive", "tolerated"]

_PREFIXED = re.compile(r"^(cp|sq):([a-z_]+):(.+)$")
# Canary's id kinds → the label's kinds (the vendor's names for the same things).
_KINDS = {
    "location": "store",
    "doc": "document",
    "drawer_shift": "cash_drawer_shift",
    "receiver": "PO_RECVR_HIST",
    "transfer": "IM_XFER_HDR",
}


@dataclass(frozen=True)
class Detected:
    """The parts of a detection that matching reads."""

    id: str
    rule_id: str
    family: str
    queue: str
    occurred_at: datetime
    refs: tuple[str, ...]  # Canary ids: entity, employee, customer, station, location, drawer session…


@dataclass(frozen=True)
class Label:
    scenario_id: str
    rule_id: str
    polarity: str  # positive | hard_negative
    start: datetime
    end: datetime
    keys: frozenset[str]
    also_may_fire: frozenset[str] = frozenset()
    allowed_queue: str | None = None

    @classmethod
    def of_json(cls, raw: Mapping[str, Any]) -> Label:
        entity = raw["entity"]
        keys = {f"{entity['type']}:{entity['id']}"}
        keys.update(f"{o['type']}:{o['id']}" for o in raw.get("objects", []))
        return cls(
            scenario_id=raw["scenario_id"],
            rule_id=raw["rule_id"],
            polarity=raw["polarity"],
            start=_time(raw["window"]["start"]),
            end=_time(raw["window"]["end"]),
            keys=frozenset(keys),
            also_may_fire=frozenset(raw.get("also_may_fire") or ()),
            allowed_queue=raw.get("allowed_queue"),
        )


@dataclass(frozen=True)
class Judged:
    detection: Detected
    verdict: Verdict
    labels: tuple[str, ...]  # the scenario ids that decided the verdict (none: unlabelled)


@dataclass
class Matching:
    judged: list[Judged] = field(default_factory=list)
    found: dict[str, list[str]] = field(default_factory=dict)  # positive scenario → detection ids
    charged: dict[str, list[str]] = field(default_factory=dict)  # hard negative → detection ids

    def missed(self, labels: Iterable[Label]) -> list[Label]:
        return [lb for lb in labels if lb.polarity == "positive" and not self.found.get(lb.scenario_id)]

    def quiet(self, labels: Iterable[Label]) -> list[Label]:
        return [lb for lb in labels if lb.polarity != "positive" and not self.charged.get(lb.scenario_id)]


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def keys_of(ref: str) -> set[str]:
    """Canary id → label keys. ``|``-joined ids (bucketed trend entities) give one key per part."""
    keys: set[str] = set()
    for part in ref.split("|"):
        hit = _PREFIXED.match(part)
        if hit is None:
            # A bare part: a Counterpoint STR_ID, a card fingerprint, a vendor code, a week, or a
            # transfer route (``FROM>TO``, Q-IS-03's entity).
            keys.update((f"store:{part}", f"card:{part}", f"vendor:{part}"))
            if ">" in part:
                keys.add(f"route:{part}")
            continue
        _vendor, kind, value = hit.groups()
        if kind == "device":
            value = value.rsplit("/", 1)[-1]  # Counterpoint stations are STR_ID/STA_ID
        elif kind in ("receiver", "transfer"):
            value = value.replace(":", "/", 1)
        keys.add(f"{_KINDS.get(kind, kind)}:{value}")
    return keys


def touches(detection: Detected, label: Label, slack: timedelta = SLACK) -> bool:
    if not label.start - slack <= detection.occurred_at <= label.end + slack:
        return False
    return any(not label.keys.isdisjoint(keys_of(ref)) for ref in detection.refs)


def judge(detection: Detected, labels: Sequence[Label]) -> Judged:
    touched = [lb for lb in labels if touches(detection, lb)]
    rule = detection.rule_id
    positives = [lb.scenario_id for lb in touched if lb.rule_id == rule and lb.polarity == "positive"]
    if positives:
        return Judged(detection, "true_positive", tuple(positives))
    negatives = [lb for lb in touched if lb.rule_id == rule and lb.polarity != "positive"]
    charged = [lb.scenario_id for lb in negatives if lb.allowed_queue != detection.queue]
    if charged:
        return Judged(detection, "false_positive", tuple(charged))
    excused = [lb.scenario_id for lb in touched if rule in lb.also_may_fire or lb in negatives]
    if excused:
        return Judged(detection, "tolerated", tuple(excused))
    return Judged(detection, "false_positive", ())


def match(detections: Iterable[Detected], labels: Sequence[Label]) -> Matching:
    result = Matching()
    negative_ids = {lb.scenario_id for lb in labels if lb.polarity != "positive"}
    for detection in detections:
        judged = judge(detection, labels)
        result.judged.append(judged)
        if judged.verdict == "true_positive":
            for scenario in judged.labels:
                result.found.setdefault(scenario, []).append(detection.id)
        elif judged.verdict == "false_positive":
            for scenario in judged.labels:
                if scenario in negative_ids:
                    result.charged.setdefault(scenario, []).append(detection.id)
    return result
