"""Bundling: which alerts belong in one case.

A tenant's policy, per rule family, says what a case is keyed by (employee + drawer session,
employee + day, employee, device, customer, store, or the rule's own bundle key) and how long the
window is. An alert joins the open case with the same key whose span it falls within (the window
before its first alert to the window after its last), else it opens a new case. Keys that name a
day or a session already bound time, so the window mostly matters for the others.

When an alert lacks the field its policy keys on (no drawer session on the substrate), the key
falls back step by step (session → day → the rule's own key → the detection alone), so an alert
is never bundled with strangers; the case records which basis was used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from core.cases.domain.model import Alert, CaseQueue, FoxError


class BundleBy(StrEnum):
    EMPLOYEE_SESSION = "employee_session"
    EMPLOYEE_DAY = "employee_day"
    EMPLOYEE = "employee"
    DEVICE = "device"
    CUSTOMER = "customer"
    STORE = "store"
    RULE_KEY = "rule_key"  # the key the rule itself set (a card fingerprint, an employee-week)
    NONE = "none"  # every detection is its own case


MAX_WINDOW_HOURS = 24 * 90
DEFAULT_FAMILY = "*"


class PolicyError(FoxError, ValueError):
    pass


@dataclass(frozen=True, slots=True)
class BundlingPolicy:
    by: BundleBy
    window_hours: int

    def __post_init__(self) -> None:
        if not 1 <= self.window_hours <= MAX_WINDOW_HOURS:
            raise PolicyError(
                f"window_hours must be between 1 and {MAX_WINDOW_HOURS}; got {self.window_hours}"
            )

    @property
    def window(self) -> timedelta:
        return timedelta(hours=self.window_hours)


# Defaults per family: a void cluster is one case per drawer session (Q-VR-03); drawer shrink by
# one employee across sessions is one case over two weeks (Q-DS-01); customer patterns run long.
DEFAULT_POLICIES: dict[str, BundlingPolicy] = {
    "void_return": BundlingPolicy(BundleBy.EMPLOYEE_SESSION, 24),
    "drawer_session": BundlingPolicy(BundleBy.EMPLOYEE, 24 * 14),
    "tender_mix": BundlingPolicy(BundleBy.EMPLOYEE_SESSION, 24),
    "discount_markdown": BundlingPolicy(BundleBy.EMPLOYEE_DAY, 24),
    "audit_trail": BundlingPolicy(BundleBy.EMPLOYEE_DAY, 24),
    "margin_erosion": BundlingPolicy(BundleBy.EMPLOYEE, 24 * 7),
    "inventory_shrink": BundlingPolicy(BundleBy.STORE, 24 * 7),
    "mix_match": BundlingPolicy(BundleBy.STORE, 24 * 7),
    "tax_compliance": BundlingPolicy(BundleBy.CUSTOMER, 24 * 30),
    "customer_tier": BundlingPolicy(BundleBy.CUSTOMER, 24 * 30),
    "card_velocity": BundlingPolicy(BundleBy.RULE_KEY, 24 * 7),
    "anomaly": BundlingPolicy(BundleBy.DEVICE, 24),  # Bubble's device episodes (A-BUBBLE-DEVICE)
    "store_anomaly": BundlingPolicy(BundleBy.STORE, 24 * 7),  # Bubble's store episodes (A-BUBBLE-STORE)
    DEFAULT_FAMILY: BundlingPolicy(BundleBy.EMPLOYEE_DAY, 24),
}


def policy_for(family: str, tenant: dict[str, BundlingPolicy]) -> BundlingPolicy:
    """The tenant's policy for the family, else its catch-all, else the built-in default."""
    for source in (tenant, DEFAULT_POLICIES):
        if family in source:
            return source[family]
    return tenant.get(DEFAULT_FAMILY) or DEFAULT_POLICIES[DEFAULT_FAMILY]


@dataclass(frozen=True, slots=True)
class BundleKey:
    key: str
    basis: BundleBy  # what the key was actually built from, after any fallback


_WANTED: dict[BundleBy, Callable[[Alert], list[str]]] = {
    BundleBy.EMPLOYEE_SESSION: lambda a: [a.employee_id, a.drawer_session_id],
    # UTC day: alerts carry UTC times
    BundleBy.EMPLOYEE_DAY: lambda a: [a.location_id, a.employee_id, a.occurred_at.date().isoformat()],
    BundleBy.EMPLOYEE: lambda a: [a.employee_id],
    BundleBy.DEVICE: lambda a: [a.location_id, a.station_id],
    BundleBy.CUSTOMER: lambda a: [a.customer_id],
    BundleBy.STORE: lambda a: [a.location_id],
    BundleBy.RULE_KEY: lambda a: [a.rule_bundle_key],
    BundleBy.NONE: lambda a: [a.detection_id],
}


def _parts(alert: Alert, by: BundleBy) -> list[str] | None:
    values = _WANTED[by](alert)  # only the fields this basis names (once per alert in a batch)
    # The store (first) may be missing on one-store merchants; every other part is required.
    required = values[1:] if by in (BundleBy.DEVICE, BundleBy.EMPLOYEE_DAY) else values
    return values if all(required) else None


_FALLBACK = {
    BundleBy.EMPLOYEE_SESSION: BundleBy.EMPLOYEE_DAY,
    BundleBy.EMPLOYEE_DAY: BundleBy.RULE_KEY,
    BundleBy.EMPLOYEE: BundleBy.RULE_KEY,
    BundleBy.DEVICE: BundleBy.RULE_KEY,
    BundleBy.CUSTOMER: BundleBy.RULE_KEY,
    BundleBy.STORE: BundleBy.RULE_KEY,
    BundleBy.RULE_KEY: BundleBy.NONE,
}


def bundle_key(alert: Alert, queue: CaseQueue, policy: BundlingPolicy) -> BundleKey:
    """The case key for an alert under a policy: queue, family and the policy's subject fields."""
    by = policy.by
    while (parts := _parts(alert, by)) is None:
        by = _FALLBACK[by]
    family = alert.family or alert.rule_id
    return BundleKey("|".join([queue.value, family, by.value, *parts])[:300], by)


@dataclass(frozen=True, slots=True)
class Span:
    """The times of a case's first and last alert."""

    first_at: datetime
    last_at: datetime


def within(span: Span, at: datetime, window: timedelta) -> bool:
    """Whether an alert at ``at`` joins a case with this span: inclusive at both window edges."""
    return span.first_at - window <= at <= span.last_at + window
