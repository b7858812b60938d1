"""Parameters: types and bounds are enforced, with errors that name the bound."""

from __future__ import annotations

import pytest

from core.rules.catalog import default_catalog
from core.rules.model import ParameterError

DM01 = default_catalog().get("Q-DM-01")
IS02 = default_catalog().get("Q-IS-02")


def test_overrides_are_resolved_over_the_defaults() -> None:
    values = DM01.resolve({"fallback_max_discount_pct": 30})
    assert values["fallback_max_discount_pct"] == 30.0
    assert values["fallback_max_discount_cents"] == 20_000


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("fallback_max_discount_pct", 150, "at most 100"),
        ("fallback_max_discount_pct", 0.5, "at least 1"),
        ("fallback_max_discount_cents", 12.5, "whole number"),
        ("fallback_max_discount_cents", "lots", "takes a number"),
        ("use_store_limits", "yes", "true or false"),
        ("nonsense", 1, "has no parameter 'nonsense'"),
    ],
)
def test_a_value_outside_its_bounds_or_type_is_refused(name: str, value: object, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        DM01.resolve({name: value})


def test_a_choice_parameter_accepts_only_its_choices() -> None:
    assert (
        IS02.resolve({"classification": "ad_hoc_vendor_payment"})["classification"] == "ad_hoc_vendor_payment"
    )
    with pytest.raises(ParameterError, match="must be one of review, ad_hoc_vendor_payment"):
        IS02.resolve({"classification": "fraud"})


def test_a_list_parameter_takes_a_list_of_strings() -> None:
    rule = default_catalog().get("Q-CT-01")
    assert rule.resolve({"wholesale_tiers": ["TRADE"]})["wholesale_tiers"] == ("TRADE",)
    with pytest.raises(ParameterError, match="list of strings"):
        rule.resolve({"wholesale_tiers": "TRADE"})
