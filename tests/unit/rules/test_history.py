"""Each rule declares the history it reads next to itself (``rule(history=...)``, docs/rules.md):
run over its own cases, a rule reads no window it has not declared, besides the reference data every
rule may look up (store configuration, categories) and its own memory. Each window it reads is a
``Window`` with a key, a retention and a fold, so nothing reads a table by a name another file keeps."""

from __future__ import annotations

from typing import Any

import pytest

from core.rules import windows
from core.rules.context import RuleContext
from core.rules.facts import Facts
from core.rules.state import REGISTRY, RuleState, memory, slice_name
from tests.rules_cases import catalog

# Reference data any rule may look up (a finding's subject carries the customer's tier); a rule that reads
# a customer's history (tier records, tickets) declares CUSTOMERS as well.
REFERENCE = {windows.STORES.name, windows.CATEGORIES.name, windows.CUSTOMERS.name}
RULES = catalog().rules_for(catalog().latest)


class Recording(RuleState):
    """Rule state that notes the tables read while a rule evaluates."""

    def __init__(self) -> None:
        super().__init__()
        self.reading = False
        self.read: set[str] = set()

    def get(self, table: str, key: str) -> Any:
        if self.reading:
            self.read.add(table)
        return super().get(table, key)

    def has(self, table: str) -> bool:
        if self.reading:
            self.read.add(table)
        return super().has(table)


def tables_read(rule_id: str) -> set[str]:
    rule = catalog().get(rule_id)
    tracked = catalog().tracked_fields()
    read: set[str] = set()
    for case in rule.cases:
        state = Recording()
        params = rule.resolve(case.params)
        for seq, event in enumerate(case.events(), start=1):
            facts = Facts.from_event(event.model_copy(update={"evidence_seq": seq}))
            if rule.triggers & facts.present:
                state.reading = True
                list(rule.evaluate(RuleContext(facts, params, state, memory(state, rule_id), rule_id)) or [])
                state.reading = False
            windows.apply(state, facts, tracked)
        read |= state.read
    return {t for t in read if not t.startswith("r:")} - REFERENCE


@pytest.mark.parametrize("rule_id", sorted(r.id for r in RULES))
def test_a_rule_reads_only_the_history_it_declares(rule_id: str) -> None:
    declared = {w.name for w in catalog().get(rule_id).history}
    undeclared = tables_read(rule_id) - declared
    assert not undeclared, f"{rule_id} reads {sorted(undeclared)} without declaring it in rule(history=...)"


def test_every_window_a_rule_declares_is_registered_with_its_retention_and_shards() -> None:
    declared = {w.name for rule in RULES for w in rule.history}
    assert declared <= set(REGISTRY)
    day = windows.DAY
    assert windows.retention() == {
        "voids": day,
        "cards": 7 * day,
        "price_changes": 7 * day,
        "item_sales": 7 * day,
        "txn": 7 * day,
        "edit_versions": 7 * day,
        "swap_versions": 7 * day,
        "drawers": 30 * day,
        "session_activity": 30 * day,
        "transfers": 90 * day,
        "fired": 400 * day,
    }
    assert {n: REGISTRY[n].shards for n in ("stores", "routes", "stations", "cards", "txn", "voids")} == {
        "stores": 1,
        "routes": 1,
        "stations": 4,
        "cards": 16,
        "txn": 32,
        "voids": 4,
    }
    assert slice_name("stores", "anything") == "stores:0"
    assert {slice_name("txn", f"t{n}") for n in range(500)} == {f"txn:{n}" for n in range(32)}


def test_a_window_name_is_declared_once() -> None:
    from core.rules.state import Window

    with pytest.raises(ValueError, match="declared twice"):
        Window(windows.TXN.name, key="again")
