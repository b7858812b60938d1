"""One vendor enum (core/domain/records.py): every vendor's canonical-id prefix is its own, stated."""

from __future__ import annotations

import pytest

from core.domain.records import ID_PREFIX, UnknownVendorError, Vendor, canonical_id
from core.rules.model import Substrate
from core.simulate.world import COUNTERPOINT, SQUARE


def test_each_vendor_namespaces_its_own_ids() -> None:
    assert canonical_id(Vendor.SQUARE, "payment", "P1") == "sq:payment:P1"
    assert canonical_id(Vendor.COUNTERPOINT, "ticket", "T1") == "cp:ticket:T1"
    assert set(ID_PREFIX) == set(Vendor)  # a vendor without a stated prefix fails here
    assert len(set(ID_PREFIX.values())) == len(ID_PREFIX)  # and no two share one
    assert [Vendor.of_id(f"{v.id_prefix}:customer:C1") for v in Vendor] == list(Vendor)
    assert Vendor.of_id("zz:customer:C1") is None


def test_a_name_that_is_no_vendor_gets_no_borrowed_prefix() -> None:
    # Before, anything that was not Square got Counterpoint's "cp:" prefix.
    with pytest.raises(UnknownVendorError, match="no canonical id prefix for vendor 'CANARY'"):
        canonical_id("CANARY", "payment", "P1")  # type: ignore[arg-type]
    with pytest.raises(
        UnknownVendorError, match="unknown vendor 'lightspeed': Canary reads square, counterpoint"
    ):
        Vendor.named("lightspeed")
    assert Vendor.named("square") is Vendor.named("SQUARE") is Vendor.SQUARE


def test_the_rules_and_the_simulator_use_the_same_enum() -> None:
    assert Substrate is Vendor
    assert (
        (SQUARE, COUNTERPOINT) == (Vendor.SQUARE.slug, Vendor.COUNTERPOINT.slug) == ("square", "counterpoint")
    )
