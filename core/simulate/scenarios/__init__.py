"""The scenario catalog: one module per rule family, each scenario a function of a ``Planner``.

``plan(world)`` runs every scenario once, in catalog order, each with its own random stream, and
returns the ``Plan`` that trading consults day by day. ``CATALOG`` maps each scenario type to the rule
it exercises and its polarity, for documentation and for the coverage test.
"""

from __future__ import annotations

from core.simulate.scenarios import (
    audit,
    card,
    device,
    discount,
    drawer,
    inventory,
    margin,
    mix_match,
    tax,
    tender,
    tier,
    void_return,
)
from core.simulate.scenarios.base import HARD_NEGATIVE, POSITIVE, Entity, Label, Plan, Planner, Scenario
from core.simulate.world import World

FAMILIES = (
    discount,
    void_return,
    tender,
    drawer,
    audit,
    margin,
    inventory,
    tax,
    tier,
    mix_match,
    card,
    device,
)
SCENARIOS: tuple[Scenario, ...] = tuple(s for family in FAMILIES for s in family.SCENARIOS)

RULE_IDS = (
    "Q-DM-01",
    "Q-DM-02",
    "Q-DM-03",
    "Q-VR-01",
    "Q-VR-02",
    "Q-VR-03",
    "Q-TM-01",
    "Q-TM-02",
    "Q-TM-03",
    "Q-DS-01",
    "Q-DS-02",
    "Q-DS-03",
    "Q-AT-01",
    "Q-AT-02",
    "Q-AT-03",
    "Q-ME-01",
    "Q-ME-02",
    "Q-IS-01",
    "Q-IS-02",
    "Q-IS-03",
    "Q-IS-04",
    "Q-TC-01",
    "Q-TC-02",
    "Q-CT-01",
    "Q-CT-02",
    "Q-MM-01",
    "Q-MM-02",
    "C-005",
)
ANOMALY_TYPES = (
    "void_rate_spike",
    "refund_creep",
    "cash_no_sale_burst",
    "off_hours_activity",
    "store_wide_drift",
)
HARD_NEGATIVE_TYPES = (
    "wholesale_tier_discount",
    "event_day_cash",
    "layaway_cross_station",
    "cash_paid_grower",
    "mix_match_bundle",
    "seasonal_live_goods_shrink",
)


def plan(world: World) -> Plan:
    result = Plan()
    for index, scenario in enumerate(SCENARIOS):
        scenario(Planner(world, result, scenario.__name__, index))
    return result


__all__ = [
    "ANOMALY_TYPES",
    "HARD_NEGATIVE",
    "HARD_NEGATIVE_TYPES",
    "POSITIVE",
    "RULE_IDS",
    "SCENARIOS",
    "Entity",
    "Label",
    "Plan",
    "plan",
]
