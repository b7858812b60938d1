"""The meta-test: every catalog rule is documented, declares what it reads, and has cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.rules.catalog import Catalog, UnknownCatalogVersionError, build_catalog
from core.rules.docgen import render
from core.rules.facts import field_exists
from core.rules.model import Rule, Substrate
from tests.rules_cases import catalog

ROOT = Path(__file__).parents[3]
CATALOG = catalog()
RULES = CATALOG.all()
EXPECTED_IDS = {
    *(f"Q-DM-0{n}" for n in (1, 2, 3)),
    *(f"Q-VR-0{n}" for n in (1, 2, 3)),
    *(f"Q-TM-0{n}" for n in (1, 2, 3)),
    *(f"Q-DS-0{n}" for n in (1, 2, 3)),
    *(f"Q-AT-0{n}" for n in (1, 2, 3)),
    "Q-ME-01",
    "Q-ME-02",
    *(f"Q-IS-0{n}" for n in (1, 2, 3, 4)),
    "Q-TC-01",
    "Q-TC-02",
    "Q-CT-01",
    "Q-CT-02",
    "Q-MM-01",
    "Q-MM-02",
    "C-005",
    "A-BUBBLE-DEVICE",
    "A-BUBBLE-STORE",
}


def problems(rule: Rule) -> list[str]:
    """What the meta-test refuses: anything a rule must carry and does not."""
    found = []
    if len(rule.definition) < 40:
        found.append("no business definition (docstring)")
    if not rule.requires:
        found.append("no required-field declarations")
    for spec in (*rule.requires, *rule.optional):
        found += [f"declares unknown field {alt}" for alt in spec.split("|") if not field_exists(alt)]
    if not rule.triggers:
        found.append("no triggers")
    if not rule.substrates:
        found.append("no substrates")
    for substrate in rule.substrates:
        cases = [c for c in rule.cases if c.source is substrate]
        if not any(c.positive for c in cases):
            found.append(f"no positive case for {substrate.slug}")
        if not any(not c.positive for c in cases):
            found.append(f"no negative case for {substrate.slug}")
    for param in rule.parameters:
        try:
            param.coerce(param.default if not isinstance(param.default, tuple) else list(param.default))
        except ValueError as exc:
            found.append(f"default of {param.name} is outside its own bounds: {exc}")
        if not param.description:
            found.append(f"parameter {param.name} has no description")
    return found


def test_the_catalog_names_every_rule_of_the_design_and_nothing_else() -> None:
    assert {r.id for r in RULES} == EXPECTED_IDS
    assert len(RULES) == 30


def test_catalog_1_0_0_is_the_28_q_and_r_rules_and_1_1_0_adds_bubbles_two() -> None:
    assert CATALOG.latest == "1.1.0"
    first = {r.id for r in CATALOG.rules_for("1.0.0")}
    assert len(first) == 28
    assert not any(i.startswith("A-BUBBLE") for i in first)
    assert {r.id for r in CATALOG.rules_for(None)} - first == {"A-BUBBLE-DEVICE", "A-BUBBLE-STORE"}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_catalog_rule_has_a_definition_declared_fields_and_positive_and_negative_cases(
    rule: Rule,
) -> None:
    assert problems(rule) == []


def test_the_meta_test_fails_a_rule_without_cases_docs_or_declarations() -> None:
    bare = Rule(
        id="Q-XX-99",
        family=RULES[0].family,
        title="bare",
        evaluate=lambda _ctx: [],
        requires=(),
        triggers=frozenset(),
        substrates=(Substrate.SQUARE,),
    )
    assert problems(bare) == [
        "no business definition (docstring)",
        "no required-field declarations",
        "no triggers",
        "no positive case for square",
        "no negative case for square",
    ]


def test_a_rule_declaring_a_field_the_canonical_model_lacks_is_caught() -> None:
    wrong = Rule(
        id="Q-XX-98",
        family=RULES[0].family,
        title="wrong",
        evaluate=RULES[0].evaluate,
        requires=("store_config.max_disc_pct",),
        triggers=frozenset({"transaction"}),
        substrates=(),
    )
    assert "declares unknown field store_config.max_disc_pct" in problems(wrong)


def test_docs_rules_md_is_generated_from_the_catalog_and_has_not_drifted() -> None:
    page = (ROOT / "docs" / "rules.md").read_text()
    assert page == render(CATALOG), "regenerate with: python -m tests.rules_cases > docs/rules.md"


def test_every_rule_appears_in_docs_rules_md_with_its_definition() -> None:
    page = (ROOT / "docs" / "rules.md").read_text()
    for rule in RULES:
        assert f"### {rule.id} — {rule.title}" in page
        assert rule.definition in page


def test_a_pinned_catalog_version_must_exist_and_be_implemented() -> None:
    with pytest.raises(UnknownCatalogVersionError, match=r"no catalog version '0\.9\.0'"):
        CATALOG.rules_for("0.9.0")
    old = Catalog(rules=CATALOG.rules, versions={"0.1.0": {"Q-DM-01": 7}}, latest="0.1.0")
    with pytest.raises(UnknownCatalogVersionError, match="needs Q-DM-01 v7, but only v1 is implemented"):
        old.rules_for("0.1.0")


def test_an_older_catalog_version_runs_only_the_rules_it_shipped() -> None:
    two = build_catalog(
        versions={"1.0.0": {"Q-DM-01": 1}, "1.1.0": {r.id: r.version for r in RULES}}, latest="1.1.0"
    )
    assert [r.id for r in two.rules_for("1.0.0")] == ["Q-DM-01"]
    assert len(two.rules_for(None)) == 30
