"""The two verticals a world can be: a garden center (spring peak, live goods, growers paid in cash,
landscaper accounts) or a general retail boutique (holiday peak). Static tables only.

Margins are chosen so that ordinary trading never breaks a category's ``MIN_PFT_PCT``: list prices
sit at the target margin, and the largest routine discount (a 10 % price match) still clears the
minimum. Scenarios are what push lines below it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CategorySpec:
    code: str
    descr: str
    min_pct: int  # IM_CATEG_COD.MIN_PFT_PCT
    trgt_pct: int  # IM_CATEG_COD.TRGT_PFT_PCT
    weight: float  # share of basket lines
    live: bool  # live goods: dead-count write-offs follow the season
    items: tuple[tuple[str, int], ...]  # (name, list price in cents)


@dataclass(frozen=True)
class MixMatchSpec:
    code: str
    descr: str
    category: str
    size: int
    price_cents: int
    max_list_cents: int  # items of the category at or under this list price are in the group


@dataclass(frozen=True)
class SupplierSpec:
    code: str  # VEND_NO
    name: str
    kind: str  # distributor | grower | maker
    categories: tuple[str, ...]


@dataclass(frozen=True)
class Vertical:
    name: str
    categories: tuple[CategorySpec, ...]
    mix_matches: tuple[MixMatchSpec, ...]
    suppliers: tuple[SupplierSpec, ...]
    season: tuple[float, ...]  # traffic multiplier by month, January first
    weekday: tuple[float, ...]  # Monday first
    hours: tuple[int, int]  # opening hour, closing hour (local)
    hour_shape: tuple[float, ...]  # relative traffic per opening hour
    tickets_per_day: int  # an average store on an average day
    event_name: str  # the weekly cash-heavy event at the event-tent station
    event_months: tuple[int, ...]
    promo_name: str
    promo_category: str
    tier_mix: tuple[tuple[str, float], ...]  # customer tiers and their shares


# The catalogs are tables: one row per category or jurisdiction reads better than the formatter's
# one value per line, so formatting is off for them.
# fmt: off
GARDEN = Vertical(
    name="garden",
    categories=(
        CategorySpec("ANNUALS", "Annuals and bedding plants", 40, 55, 0.2, True,
                     (("Petunia 6-pack", 499), ("Marigold 6-pack", 449), ("Geranium 4in", 399),
                      ("Impatiens flat", 2499), ("Begonia hanging basket", 2999), ("Pansy 6-pack", 449))),
        CategorySpec("PERENNIALS", "Perennials", 40, 55, 0.16, True,
                     (("Hosta 1 gal", 999), ("Daylily 1 gal", 999), ("Coneflower 1 gal", 999),
                      ("Lavender 1 gal", 999), ("Salvia 1 gal", 999), ("Peony 3 gal", 2999))),
        CategorySpec("SHRUBS", "Shrubs and trees", 35, 50, 0.08, True,
                     (("Hydrangea 3 gal", 3999), ("Boxwood 3 gal", 3499), ("Japanese maple 5 gal", 8999),
                      ("Lilac 3 gal", 3999), ("Arborvitae 5 gal", 4999))),
        CategorySpec("SOIL", "Soil, mulch and amendments", 20, 32, 0.16, False,
                     (("Potting mix 2 cu ft", 1299), ("Cedar mulch 2 cu ft", 699),
                      ("Compost 1 cu ft", 899), ("Topsoil 40 lb", 399), ("Perlite 8 qt", 799))),
        CategorySpec("FERTILIZER", "Fertilizer and pest control", 25, 38, 0.1, False,
                     (("All-purpose plant food", 1499), ("Rose food 4 lb", 1799), ("Neem oil spray", 1299),
                      ("Slug bait", 999), ("Lawn fertilizer 15M", 4999))),
        CategorySpec("TOOLS", "Tools and hardware", 35, 45, 0.1, False,
                     (("Hand trowel", 1299), ("Bypass pruner", 2999), ("Garden hose 50 ft", 3999),
                      ("Watering can", 1999), ("Steel rake", 2799), ("Garden gloves", 999))),
        CategorySpec("POTTERY", "Pottery and planters", 40, 55, 0.08, False,
                     (("Terracotta pot 10in", 1499), ("Glazed planter 14in", 4999), ("Window box", 2499),
                      ("Hanging basket liner", 699))),
        CategorySpec("SEED", "Seed and bulbs", 45, 60, 0.07, False,
                     (("Tomato seed packet", 349), ("Wildflower mix", 899), ("Dahlia bulbs 3-pack", 1299),
                      ("Herb seed kit", 1499))),
        CategorySpec("GIFTS", "Gifts and home", 45, 60, 0.05, False,
                     (("Bird feeder", 2499), ("Wind chime", 3499), ("Garden gnome", 1999),
                      ("Candle", 1599))),
    ),
    mix_matches=(
        MixMatchSpec("PERENNIAL4", "Any 4 perennials (1 gal) for $34", "PERENNIALS", 4, 3400, 999),
        MixMatchSpec("ANNUAL3", "Any 3 annual 6-packs for $13", "ANNUALS", 3, 1300, 499),
    ),
    suppliers=(
        SupplierSpec("DIST-GREEN", "Greenleaf Horticultural Supply", "distributor",
                     ("SOIL", "FERTILIZER", "TOOLS", "POTTERY")),
        SupplierSpec("DIST-VALLEY", "Valley Garden Distributors", "distributor",
                     ("SEED", "GIFTS", "TOOLS", "FERTILIZER")),
        SupplierSpec("NURS-WEST", "Westfield Wholesale Nursery", "distributor",
                     ("ANNUALS", "PERENNIALS", "SHRUBS")),
        SupplierSpec("GRW-HILLTOP", "Hilltop Family Greenhouse", "grower", ("ANNUALS", "PERENNIALS")),
        SupplierSpec("GRW-MEADOW", "Meadow Lane Perennials", "grower", ("PERENNIALS",)),
        SupplierSpec("GRW-CEDAR", "Cedar Creek Shrub Farm", "grower", ("SHRUBS",)),
    ),
    season=(0.35, 0.45, 0.95, 1.6, 1.8, 1.3, 0.9, 0.8, 0.9, 0.8, 0.55, 0.9),
    weekday=(0.8, 0.75, 0.8, 0.85, 1.0, 1.6, 1.3),
    hours=(8, 19),
    hour_shape=(0.5, 0.9, 1.3, 1.4, 1.2, 1.0, 1.1, 1.2, 1.0, 0.8, 0.5),
    tickets_per_day=110,
    event_name="Saturday farmers market",
    event_months=(3, 4, 5, 6, 7, 8, 9, 10),
    promo_name="Spring perennial sale",
    promo_category="PERENNIALS",
    tier_mix=(("RETAIL", 0.84), ("WHOLESALE", 0.06), ("LANDSCAPER", 0.1)),
)

RETAIL = Vertical(
    name="retail",
    categories=(
        CategorySpec("APPAREL", "Apparel", 45, 60, 0.22, False,
                     (("Cotton tee", 2499), ("Wool socks", 1299), ("Rain jacket", 8999),
                      ("Knit beanie", 2299), ("Linen scarf", 3499))),
        CategorySpec("HOME", "Home goods", 40, 55, 0.18, False,
                     (("Throw pillow", 3999), ("Cotton throw", 5999), ("Table lamp", 7999),
                      ("Picture frame", 1999))),
        CategorySpec("KITCHEN", "Kitchen", 35, 50, 0.15, False,
                     (("Chef knife", 5999), ("Cutting board", 3499), ("Mug set", 2999),
                      ("Tea towel 2-pack", 1499))),
        CategorySpec("TOYS", "Toys and games", 35, 50, 0.12, False,
                     (("Wooden puzzle", 2499), ("Board game", 3999), ("Plush fox", 1999),
                      ("Card game", 1499))),
        CategorySpec("BOOKS", "Books and stationery", 30, 42, 0.1, False,
                     (("Notebook", 1299), ("Cookbook", 3499), ("Greeting card", 599), ("Pen set", 1899))),
        CategorySpec("SNACKS", "Specialty food", 30, 45, 0.13, True,
                     (("Dark chocolate bar", 599), ("Local honey", 1299), ("Fresh bakery loaf", 799),
                      ("Cheese wedge", 1099), ("Cut flowers bunch", 1499))),
        CategorySpec("ELECTRONICS", "Small electronics", 15, 25, 0.05, False,
                     (("Bluetooth speaker", 5999), ("Phone charger", 2499), ("Earbuds", 7999))),
        CategorySpec("GIFTS", "Gifts", 45, 60, 0.05, False,
                     (("Scented candle", 2499), ("Gift box", 3999), ("Ornament", 1299))),
    ),
    mix_matches=(
        MixMatchSpec("SOCKS3", "3 pairs of wool socks for $33", "APPAREL", 3, 3300, 1299),
        MixMatchSpec("CARDS4", "4 greeting cards for $22", "BOOKS", 4, 2200, 599),
    ),
    suppliers=(
        SupplierSpec("DIST-NORTH", "Northwind Wholesale", "distributor", ("APPAREL", "HOME", "GIFTS")),
        SupplierSpec("DIST-ACME", "Acme Housewares", "distributor", ("KITCHEN", "HOME", "ELECTRONICS")),
        SupplierSpec("DIST-PLAY", "Playwell Toys", "distributor", ("TOYS", "BOOKS")),
        SupplierSpec("MKR-HONEY", "Hollow Oak Apiary", "maker", ("SNACKS",)),
        SupplierSpec("MKR-BAKERY", "Corner Street Bakery", "maker", ("SNACKS",)),
    ),
    season=(0.8, 0.75, 0.85, 0.9, 0.95, 0.95, 0.95, 1.0, 0.95, 1.0, 1.3, 1.8),
    weekday=(0.85, 0.8, 0.85, 0.95, 1.15, 1.45, 1.0),
    hours=(10, 21),
    hour_shape=(0.5, 0.8, 1.2, 1.3, 1.0, 0.9, 1.0, 1.2, 1.3, 1.1, 0.7),
    tickets_per_day=95,
    event_name="Saturday sidewalk sale",
    event_months=(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12),
    promo_name="Warm-weather apparel sale",
    promo_category="APPAREL",
    tier_mix=(("RETAIL", 0.9), ("WHOLESALE", 0.07), ("LANDSCAPER", 0.03)),
)

VERTICALS = {"garden": GARDEN, "retail": RETAIL}

# (state, state authority, rate bp, [(county, rate bp), ...], [(city, rate bp), ...], IANA zone)
JURISDICTIONS: tuple[tuple[str, int, tuple[tuple[str, int], ...], tuple[tuple[str, int], ...], str], ...] = (
    ("TN", 700, (("SHELBY", 225), ("FAYETTE", 250)), (("MEMPHIS", 50), ("GERMANTOWN", 50)),
     "America/Chicago"),
    ("NC", 475, (("WAKE", 200), ("DURHAM", 225)), (("RALEIGH", 50), ("CARY", 50)), "America/New_York"),
    ("CO", 290, (("BOULDER", 99), ("LARIMER", 80)), (("BOULDER", 386), ("LONGMONT", 353)), "America/Denver"),
    ("WA", 650, (("KING", 20), ("PIERCE", 10)), (("SEATTLE", 365), ("TACOMA", 310)), "America/Los_Angeles"),
    ("AZ", 560, (("MARICOPA", 70), ("PIMA", 50)), (("PHOENIX", 230), ("TEMPE", 180)), "America/Phoenix"),
)

FIRST_NAMES = ("Ava", "Ben", "Carla", "Dev", "Elena", "Felix", "Grace", "Hugo", "Iris", "Jonah", "Kira",
    "Luis", "Maya", "Noah", "Olive", "Priya", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Victor", "Wren",
    "Xavier", "Yara", "Zane")
LAST_NAMES = ("Abbott", "Baker", "Castillo", "Dunn", "Ellis", "Fischer", "Garcia", "Hughes", "Ito", "Jensen",
    "Kowalski", "Lopez", "Moreau", "Nguyen", "Okafor", "Patel", "Quist", "Rossi", "Silva", "Tanaka",
    "Underwood", "Varga", "Walsh", "Xu", "Young", "Zimmer")
# fmt: on
