"""Substrate completeness: which fields the parsed records really carry, per entity.

The scorecard (docs/design.md, rules: a rule whose fields are missing reports "not applicable: missing X")
needs to know whether a field came from the vendor, not merely that it has a value: ``price_overridden``
defaults to False and would otherwise always look present. The adapter leaves a field *unset* when
the payload lacks it (fields.present), so a field counts when it was set and is not None or empty.
Records rebuilt from storage have every field set and overstate coverage: score parse output.
"""

from __future__ import annotations

from collections.abc import Iterable

from core.domain.records import Canonical

RECORDS = "_records"  # per entity, the number of records seen (no field name starts with "_")
_BOOKKEEPING = frozenset({"version_key"})


def field_coverage(records: Iterable[Canonical]) -> dict[str, dict[str, int]]:
    """``{entity: {field: present_count, "_records": n}}``; entity is the record class name
    (``Document``, ``LineItem`` …) and every declared field is listed, absent ones with 0."""
    coverage: dict[str, dict[str, int]] = {}
    for record in records:
        fields = type(record).model_fields
        counts = coverage.setdefault(
            type(record).__name__, {RECORDS: 0, **{name: 0 for name in fields if name not in _BOOKKEEPING}}
        )
        counts[RECORDS] += 1
        for name in record.model_fields_set:
            if name in _BOOKKEEPING or name not in fields:
                continue
            value = getattr(record, name)
            if value is not None and value != "":
                counts[name] += 1
    return coverage
