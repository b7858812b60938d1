"""The substrate scorecard: which rules the tenant's data can feed, and how fresh that data is.

A rule is applicable when, for every requirement (``a|b``: either will do), some alternative field
has been seen non-null in this tenant's events or reference tables. Otherwise it reports
"not applicable: missing …" by name, never silence (docs/design.md, rules). Optional fields that
are absent are listed as degraded: the rule runs on its fallbacks (e.g. Q-DM-01's ceiling without
MAX_DISC_PCT).
Freshness is when each entity was last seen in an event; event entities older than the budget are
stale (Q.1: "last_polled_at per entity per tenant").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from core.rules.catalog import Catalog
from core.rules.facts import REFERENCE_ENTITIES
from core.rules.model import Rule
from core.rules.service import store
from core.rules.service.views import EntityFreshness, RuleApplicability, Scorecard
from core.rules.windows import SUBSTRATE

FRESHNESS_BUDGET = timedelta(hours=48)


def applicability(rule: Rule, seen: set[str]) -> RuleApplicability:
    missing = [spec for spec in rule.requires if not any(alt in seen for alt in spec.split("|"))]
    degraded = [spec for spec in rule.optional if not any(alt in seen for alt in spec.split("|"))]
    if missing:
        words = "; ".join(" or ".join(spec.split("|")) for spec in missing)
        return RuleApplicability(
            rule_id=rule.id,
            status="not_applicable",
            message=f"not applicable: missing {words}",
            missing=missing,
            degraded=degraded,
        )
    message = "applicable" + (f" (without {', '.join(degraded)})" if degraded else "")
    return RuleApplicability(
        rule_id=rule.id, status="applicable", message=message, missing=[], degraded=degraded
    )


def build(
    rules: Iterable[Rule],
    *,
    catalog_version: str,
    now: datetime,
    entities: Mapping[str, list[float]],
    fields: Mapping[str, float],
    reference_fields: Iterable[str],
    budget: timedelta = FRESHNESS_BUDGET,
) -> Scorecard:
    """``entities``: entity -> [last seen (epoch s), events]; ``fields``: field -> last seen non-null;
    ``reference_fields``: fields non-null in some reference row (store configs, categories, customers)."""
    chosen = list(rules)
    seen = set(fields) | set(reference_fields) | set(entities)
    wanted = sorted(
        {
            spec.split(".")[0]
            for r in chosen
            for group in (*r.requires, *r.optional)
            for spec in group.split("|")
        }
        | set(entities)
    )
    rows = []
    for entity in wanted:
        held = entities.get(entity)
        last = datetime.fromtimestamp(held[0], UTC) if held else None
        stale = entity not in REFERENCE_ENTITIES and (last is None or now - last > budget)
        rows.append(
            EntityFreshness(entity=entity, last_seen_at=last, events=int(held[1]) if held else 0, stale=stale)
        )
    return Scorecard(
        catalog_version=catalog_version,
        generated_at=now,
        freshness_budget_hours=budget.total_seconds() / 3600,
        entities=rows,
        rules=[applicability(r, seen) for r in chosen],
    )


def load(session: Session, merchant_id: str, catalog: Catalog, now: datetime) -> Scorecard:
    """The tenant's scorecard from its stored substrate slice and reference tables."""
    state = store.substrate_state(session, merchant_id, "substrate:0")
    pin = store.catalog_pin(session, merchant_id)
    version = pin.catalog_version if pin else catalog.latest
    return build(
        catalog.rules_for(version),
        catalog_version=version,
        now=now,
        entities=SUBSTRATE.get(state, "entities") or {},
        fields=SUBSTRATE.get(state, "fields") or {},
        reference_fields=store.reference_fields(session, merchant_id, catalog.tracked_fields()),
    )
