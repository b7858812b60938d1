"""Ground truth as JSON: one object per label, the line format of ``labels.jsonl``.

``{"scenario_id", "scenario_type", "rule_id", "polarity", "entity": {"type", "id", "store"},
"window": {"start", "end"}, "store", "vendor", "objects": [{"vendor", "type", "id"}],
"also_may_fire": [...], "allowed_queue", "note"}``

``polarity`` is ``positive`` (the rule should fire on these objects or this entity in this window) or
``hard_negative`` (it must not reach the fraud queue; a detection in ``allowed_queue``, when set, is
acceptable). ``also_may_fire`` names other rules the same objects legitimately trigger, so a bench
does not count those as false positives. Times are UTC, ISO 8601 with ``Z``.
"""

from __future__ import annotations

from typing import Any

from core.simulate.clock import iso_z
from core.simulate.scenarios.base import Label
from core.simulate.vendor_ids import VendorIds

MAX_OBJECTS = 500  # a long creep touches hundreds of tickets; the window and entity still say it all


def to_json(ids: VendorIds, label: Label) -> dict[str, Any]:
    seen: set[tuple[str, str, str]] = set()
    objects = []
    for subject in label.subjects:
        for ref in ids.refs(subject):
            key = (ref.vendor, ref.type, ref.id)
            if key not in seen:
                seen.add(key)
                objects.append({"vendor": ref.vendor, "type": ref.type, "id": ref.id})
    return {
        "scenario_id": label.scenario_id,
        "scenario_type": label.scenario_type,
        "rule_id": label.rule_id,
        "polarity": label.polarity,
        "entity": {"type": label.entity.type, "id": label.entity.id, "store": label.entity.store},
        "window": {"start": iso_z(label.start), "end": iso_z(label.end)},
        "store": label.store,
        "vendor": label.vendor,
        "objects": objects[:MAX_OBJECTS],
        "objects_total": len(objects),
        "also_may_fire": list(label.also),
        "allowed_queue": label.allowed_queue,
        "note": label.note,
    }
