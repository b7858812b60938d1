"""The rule catalog: every rule of the catalog in docs/rules.md (27 Q rules, C-005 from R and Bubble's
A-BUBBLE-DEVICE / A-BUBBLE-STORE), versioned.

A catalog version maps each rule id to the rule version it ships: 1.0.0 is the 28 Q and R rules,
1.1.0 adds Bubble's two. A tenant pins a catalog version
(Q.7.7) so a new catalog never silently changes what an existing tenant runs; a version whose rule
versions are no longer implemented cannot be pinned (the error says so), rather than running
something else under the old name.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from core.rules.errors import ChirpError
from core.rules.families import (
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
from core.rules.model import Case, Rule

CATALOG_VERSION = "1.1.0"
FIRST_FAMILIES = (
    discount,
    void_return,
    tender,
    drawer,
    audit_trail,
    margin,
    inventory,
    tax,
    customer_tier,
    mix_match,
    card_velocity,
)
FAMILIES = (*FIRST_FAMILIES, bubble)
# Catalog version -> the families it ships (each at the rule versions implemented).
RELEASES = {"1.0.0": FIRST_FAMILIES, CATALOG_VERSION: FAMILIES}


class UnknownRuleError(ChirpError, LookupError):
    pass


class UnknownCatalogVersionError(ChirpError, LookupError):
    pass


@dataclass(frozen=True)
class Catalog:
    rules: Mapping[str, Rule]
    versions: Mapping[str, Mapping[str, int]]  # catalog version -> rule id -> rule version
    latest: str

    def get(self, rule_id: str) -> Rule:
        try:
            return self.rules[rule_id]
        except KeyError:
            raise UnknownRuleError(
                f"no rule {rule_id!r} in the catalog (rules: {', '.join(self.rules)})"
            ) from None

    def all(self) -> list[Rule]:
        return list(self.rules.values())

    def rules_for(self, version: str | None) -> list[Rule]:
        """The rules a tenant pinned to ``version`` runs (``None``: the latest)."""
        wanted = self.versions.get(version or self.latest)
        if wanted is None:
            raise UnknownCatalogVersionError(
                f"no catalog version {version!r} (versions: {', '.join(sorted(self.versions))})"
            )
        out = []
        for rule_id, rule_version in wanted.items():
            rule = self.get(rule_id)
            if rule.version != rule_version:
                raise UnknownCatalogVersionError(
                    f"catalog {version} needs {rule_id} v{rule_version}, "
                    f"but only v{rule.version} is implemented"
                )
            out.append(rule)
        return out

    def tracked_fields(self) -> dict[str, tuple[str, ...]]:
        """Per entity, every field some rule requires or uses: the scorecard watches these."""
        fields: dict[str, set[str]] = {}
        for rule in self.rules.values():
            for spec in (*rule.requires, *rule.optional):
                for dotted in spec.split("|"):
                    entity, dot, name = dotted.partition(".")
                    names = fields.setdefault(entity, set())
                    if dot:
                        names.add(name)
        return {entity: tuple(sorted(names)) for entity, names in sorted(fields.items())}


def build_catalog(
    rules: Sequence[Rule] | None = None,
    versions: Mapping[str, Mapping[str, int]] | None = None,
    latest: str = CATALOG_VERSION,
    cases: Mapping[str, tuple[Case, ...]] | None = None,
) -> Catalog:
    """The catalog, optionally with each rule's table-driven cases attached. The cases are test data
    (``tests/rules_cases``): the test suite attaches them and the meta-test checks every rule has them."""
    chosen = list(rules) if rules is not None else [r for family in FAMILIES for r in family.RULES]
    attached = {r.id: dataclasses.replace(r, cases=(cases or {}).get(r.id, r.cases)) for r in chosen}
    if versions is None:
        versions = (
            {v: {r.id: r.version for f in fams for r in f.RULES} for v, fams in RELEASES.items()}
            if rules is None
            else {latest: {r.id: r.version for r in chosen}}
        )
    return Catalog(rules=attached, versions=versions, latest=latest)


@functools.cache
def default_catalog() -> Catalog:
    return build_catalog()
