"""Each rule's table-driven examples: positive and negative cases, per substrate the rule reads.

Cases are data attached to the catalog (``build_catalog``); ``tests/unit/rules`` runs every one and
the meta-test fails a rule that lacks a positive or a negative case for any substrate it declares.
"""

from __future__ import annotations

from collections.abc import Callable

from core.domain.parsing import DetectionEvent
from core.rules.model import Case, ParamValue, Substrate

SQ, CP = Substrate.SQUARE, Substrate.COUNTERPOINT


def case(
    name: str,
    source: Substrate,
    expect: int,
    events: Callable[[], list[DetectionEvent]],
    **params: ParamValue,
) -> Case:
    return Case(name=name, source=source, events=events, expect=expect, params=params)


def _collect() -> dict[str, tuple[Case, ...]]:
    from core.rules.cases import discount, drawer, inventory, margin, other, tender, trail, void_return

    merged: dict[str, tuple[Case, ...]] = {}
    for module in (discount, void_return, tender, drawer, trail, margin, inventory, other):
        merged.update(module.CASES)
    return merged


CASES: dict[str, tuple[Case, ...]] = _collect()
