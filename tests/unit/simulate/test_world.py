"""Building a world: deterministic profiles, vendor layouts, and routine pricing that trips no rule."""

from __future__ import annotations

from datetime import date

import pytest

from core.simulate import build_world, pricing
from core.simulate.world import COUNTERPOINT, SQUARE, World


@pytest.fixture(scope="module", params=["garden", "retail"])
def world(request: pytest.FixtureRequest) -> World:
    return build_world(3, stores=3, days=20, vertical=request.param)


def test_the_same_seed_builds_the_same_world() -> None:
    assert build_world(5, 2, 10) == build_world(5, 2, 10)
    assert build_world(5, 2, 10) != build_world(6, 2, 10)


def test_a_mixed_merchant_alternates_square_and_counterpoint_stores(world: World) -> None:
    assert [s.vendor for s in world.stores] == [SQUARE, COUNTERPOINT, SQUARE]
    assert all(s.external_id.isdigit() for s in world.stores_of(COUNTERPOINT))
    assert all(st.external_id.startswith("device:") for s in world.stores_of(SQUARE) for st in s.stations)
    assert {s.timezone for s in world.stores} <= {
        "America/Chicago",
        "America/New_York",
        "America/Denver",
        "America/Los_Angeles",
        "America/Phoenix",
    }


def test_a_single_vendor_layout_is_honoured() -> None:
    assert {s.vendor for s in build_world(1, 3, 5, vendors=COUNTERPOINT).stores} == {COUNTERPOINT}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"vertical": "bakery"}, "vertical"),
        ({"vendors": "clover"}, "vendors"),
        ({"stores": 0}, "stores"),
        ({"days": 0}, "days"),
    ],
)
def test_impossible_arguments_are_refused_with_the_reason(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {
        "seed": 1,
        "stores": 2,
        "days": 5,
        "vertical": "garden",
        "start": date(2026, 3, 1),
    }
    with pytest.raises(ValueError, match=message):
        build_world(**{**args, **kwargs})  # type: ignore[arg-type]


def test_customers_have_tiers_cards_and_newcomers_during_the_window(world: World) -> None:
    tiers = {c.tier for c in world.customers}
    assert {"RETAIL", "WHOLESALE", "LANDSCAPER"} <= tiers
    assert all(c.cards or c.tier == "EMPLOYEE" for c in world.customers)
    assert all(c.tax_exempt for c in world.customers if c.tier == "LANDSCAPER")
    newcomers = [c for c in world.customers if c.created_at.date() >= world.start]
    assert len(newcomers) >= 3 * len(world.stores)


def _margin(price: int, cost: int) -> float:
    return (price - cost) * 100 / price


def test_routine_prices_never_break_a_category_minimum_margin(world: World) -> None:
    """Tier price levels, a running promotion and a 5 % price match all stay above MIN_PFT_PCT."""
    promo = world.promotions[0]
    for item in world.items:
        minimum = world.category_by_code[item.category].min_pct
        assert _margin(item.price, item.cost) >= minimum + 5, item
        for line in (
            pricing.override(item, 1, 5, "PRICEMATCH"),
            pricing.line(world, item, 1, promo.start, None),
        ):
            assert _margin(line.price, item.cost) > minimum, (item, line.just)
        for customer in (c for c in world.customers if c.tier in ("WHOLESALE", "LANDSCAPER")):
            line = pricing.line(world, item, 1, world.start, customer)
            assert _margin(line.price, item.cost) > minimum
            assert line.just.startswith("Price-")
            break


def test_bundles_are_profitable_inside_every_discount_ceiling_and_never_below_cost(world: World) -> None:
    for group in world.mix_matches:
        items = [world.item_by_sku[sku] for sku in group.members]
        for chosen in ([items[0]] * group.size, [items[-1]] * group.size):
            lines = pricing.bundle(group, chosen)
            assert sum(li.ext for li in lines) == group.price
            bundle_margin = _margin(group.price, sum(li.unit_cost for li in lines))
            assert bundle_margin >= world.category_by_code[group.category].min_pct
            assert all(li.price > li.unit_cost for li in lines)
            assert all(li.discount * 100 < li.reg_price * 25 for li in lines)  # under every MAX_DISC_PCT
            assert all(li.mix_match == group.code for li in lines)
