"""The scorecard's "field seen" tracking does not depend on the order events arrive in."""

from __future__ import annotations

import itertools

import pytest

from core.domain.parsing import ParsedEvent
from core.rules.catalog import default_catalog
from core.rules.facts import Facts
from core.rules.state import RuleState
from core.rules.windows import apply
from core.simulate.canonical import at, cp_receiver


def _without_po(event: ParsedEvent) -> ParsedEvent:
    facts = dict(event.facts)
    facts["lines"] = [{**line, "po_quantity_ordered": None} for line in facts["lines"]]
    return event.model_copy(update={"facts": facts})


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_an_optional_field_carried_by_one_record_is_seen_whatever_the_order(order: tuple[int, ...]) -> None:
    cash = _without_po(cp_receiver("R2", at(hours=24), [("TOMATO", 40, 0, 200)], cash_paid=True))
    cash_too = _without_po(cp_receiver("R3", at(hours=25), [("PEPPER", 10, 0, 200)], cash_paid=True))
    with_po = cp_receiver("R1", at(hours=1), [("FERN", 45, 50, 625)])  # older, arrives whenever
    events = [cash, cash_too, with_po]
    state = RuleState()
    tracked = default_catalog().tracked_fields()
    for n in order:
        apply(state, Facts.from_event(events[n].model_copy(update={"evidence_seq": n + 1})), tracked)
    fields = state.get("substrate", "fields")
    assert fields is not None
    assert "receiver_lines.po_quantity_ordered" in fields
    assert "receiver_lines.quantity_received" in fields
