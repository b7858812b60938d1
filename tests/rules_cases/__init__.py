"""Each rule's table-driven examples: positive and negative cases, per substrate the rule reads.

Cases are test data: ``catalog()`` is the production catalog with them attached (``build_catalog``);
``tests/unit/rules`` runs every one and the meta-test fails a rule that lacks a positive or a negative
case for any substrate it declares. ``python -m tests.rules_cases > docs/rules.md`` regenerates the
catalog page, which lists them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from core.domain.parsing import ParsedEvent
from core.rules.catalog import Catalog, build_catalog
from core.rules.model import Case, ParamValue, Substrate

SQ, CP = Substrate.SQUARE, Substrate.COUNTERPOINT


def case(
    name: str,
    source: Substrate,
    expect: int,
    events: Callable[[], list[ParsedEvent]],
    **params: ParamValue,
) -> Case:
    return Case(name=name, source=source, events=events, expect=expect, params=params)


def _collect() -> dict[str, tuple[Case, ...]]:
    from tests.rules_cases import (
        audit_trail,
        bubble,
        card_velocity,
        customer_tier,
        discount,
        drawer,
        inventory,
        margin,
        mix_match,
        tax,
        tender,
        void_return,
    )

    merged: dict[str, tuple[Case, ...]] = {}
    modules = (discount, void_return, tender, drawer, audit_trail, margin, inventory, tax, customer_tier)
    for module in (*modules, mix_match, card_velocity, bubble):
        merged.update(module.CASES)
    return merged


CASES: dict[str, tuple[Case, ...]] = _collect()


@functools.cache
def catalog() -> Catalog:
    """The default catalog with every rule's cases attached."""
    return build_catalog(cases=CASES)
