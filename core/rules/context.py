"""What a rule is handed: the event's facts, its parameter values, read access to the windows, its
own memory, and helpers for the subject a finding names."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from core.domain.sales import LineItem
from core.domain.store_config import ItemCategory, StoreConfig
from core.rules import windows
from core.rules.facts import Facts
from core.rules.model import ParamValue, Subject
from core.rules.state import RuleMemory, RuleState


@dataclass(slots=True)
class RuleContext:
    facts: Facts
    params: Mapping[str, ParamValue]
    state: RuleState
    memory: RuleMemory
    rule_id: str

    # Parameters, typed. Values were coerced against their declarations when the tenant's configuration
    # was prepared (``Rule.resolve``), so these are casts, not checks: they run on every event.

    def whole(self, name: str) -> int:
        return cast(int, self.params[name])

    def num(self, name: str) -> float:
        return float(cast(float, self.params[name]))

    def flag(self, name: str) -> bool:
        return cast(bool, self.params[name])

    def text(self, name: str) -> str:
        return cast(str, self.params[name])

    def texts(self, name: str) -> tuple[str, ...]:
        return cast(tuple[str, ...], self.params[name])

    # Reference ---------------------------------------------------------------------------------------

    def store(self, location_id: str | None = None) -> StoreConfig | None:
        if location_id is None:
            txn, doc = self.facts.transaction, self.facts.document
            location_id = txn.location_id if txn else (doc.location_id if doc else None)
        return windows.store_config(self.state, location_id)

    def category(self, category_id: str | None) -> ItemCategory | None:
        return windows.category(self.state, category_id)

    def tier(self, customer_id: str | None) -> str | None:
        record = self.facts.customer
        if record is not None and record.id == customer_id:
            return record.tier
        return windows.customer_tier(self.state, customer_id)

    def customer(self, customer_id: str | None) -> dict[str, Any] | None:
        return windows.customer(self.state, customer_id)

    # Findings ----------------------------------------------------------------------------------------

    def subject(self, lines: Sequence[LineItem] | None = None, **overrides: Any) -> Subject:
        """The transaction's people and places, with the items and categories of ``lines`` (all the
        event's lines when not given); keyword arguments replace any attribute."""
        txn = self.facts.transaction
        chosen = self.facts.line_items if lines is None else lines
        values: dict[str, Any] = {
            "employee_id": txn.employee_id if txn else None,
            "customer_id": txn.customer_id if txn else None,
            "customer_tier": self.tier(txn.customer_id) if txn and txn.customer_id else None,
            "station_id": txn.device_id if txn else None,
            "location_id": txn.location_id if txn else None,
            "drawer_session_id": txn.drawer_session_id if txn else None,
            "items": tuple(sorted({li.item_id for li in chosen if li.item_id})),
            "categories": tuple(sorted({li.category_id for li in chosen if li.category_id})),
            "local_time": self.facts.local_time,
        }
        values.update(overrides)
        return Subject(**values)
