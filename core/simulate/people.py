"""The people of a simulated merchant: staff (with Square team member ids or Counterpoint USR_IDs),
customers with tiers, tax exemptions, loyalty and payment cards (opaque fingerprints), and the staff
accounts Counterpoint employees buy on. Names and phone numbers are fake."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from core.simulate.clock import at_local
from core.simulate.ids import Ids
from core.simulate.verticals import FIRST_NAMES, LAST_NAMES, Vertical
from core.simulate.world import COUNTERPOINT, SQUARE, Card, Customer, Employee, Store

NEWCOMERS = 3  # customers per store who sign up during the window (the first loyalty members among them)
ROLES = ("manager", "lead", "cashier", "cashier", "cashier", "cashier", "cashier")


def _person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)


def employees(store: Store, ids: Ids, rng: random.Random) -> list[Employee]:
    people = []
    for n, role in enumerate(ROLES):
        first, last = _person(rng)
        key = f"{store.key}-E{n + 1}"
        external = (
            f"TM{ids.urlsafe('team', key, 14)}"
            if store.vendor == SQUARE
            else f"{first[0]}{last}"[:8].upper() + f"{store.index + 1}{n + 1}"
        )
        people.append(
            Employee(
                key,
                store.key,
                first,
                last,
                role,
                external,
                f"{first}.{last}.{n}@example.com".lower(),
                _phone(rng),
            )
        )
    return people


def _phone(rng: random.Random) -> str:
    return f"+1{rng.choice((206, 303, 415, 512, 615, 901, 919))}555{rng.randrange(1000, 10000)}"


def make_card(rng: random.Random, ids: Ids, key: str, corporate: bool) -> Card:
    """A payment card with an opaque Square-style fingerprint derived from ``key``."""
    brand = rng.choice(("VISA", "VISA", "MASTERCARD", "AMERICAN_EXPRESS", "DISCOVER"))
    return Card(
        fingerprint=f"sq-1-{ids.urlsafe('fingerprint', key, 64)}",
        brand=brand,
        card_type="CREDIT" if corporate or rng.random() < 0.7 else "DEBIT",
        last4=f"{rng.randrange(10000):04d}",
        bin=f"{rng.choice((4, 5, 3, 6))}{rng.randrange(10**5):05d}",
        exp_month=rng.randint(1, 12),
        exp_year=rng.randint(2027, 2031),
    )


def customers(
    store: Store, spec: Vertical, start: date, days: int, ids: Ids, rng: random.Random
) -> list[Customer]:
    count, people = round(170 * store.size), []
    tiers, weights = zip(*spec.tier_mix, strict=True)
    for n in range(count):
        key = f"{store.key}-C{n + 1:04d}"
        newcomer = n < NEWCOMERS  # the first few sign up during the window (at least one per quarter of it)
        tier = "RETAIL" if newcomer else rng.choices(tiers, weights)[0]
        first, last = _person(rng)
        corporate = tier != "RETAIL"
        cards = tuple(
            make_card(rng, ids, f"{key}/{c}", corporate) for c in range(1 if corporate else rng.randint(1, 2))
        )
        if newcomer:
            joined = start + timedelta(days=min(days - 1, 1 + n * max(1, days // NEWCOMERS)))
        else:
            joined = start - timedelta(days=rng.randint(20, 900))
        external = (
            ids.upper("customer", key, 26) if store.vendor == SQUARE else str(1000 + store.index * 5000 + n)
        )
        people.append(
            Customer(
                key=key,
                store=store.key,
                vendor=store.vendor,
                external_id=external,
                tier=tier,
                first=first,
                last=last,
                phone=_phone(rng),
                email=f"{first}.{last}{n}@example.net".lower(),
                cards=cards,
                tax_exempt=tier == "LANDSCAPER" or (tier == "WHOLESALE" and rng.random() < 0.5),
                loyalty=tier == "RETAIL" and (n < NEWCOMERS - 1 or rng.random() < 0.35),
                created_at=at_local(joined, 9, rng.randrange(60), rng.randrange(60), store.timezone),
            )
        )
    return people


def staff_account(employee: Employee, start: date, ids: Ids) -> Customer:
    """Counterpoint staff buy on a customer account of their own (tier EMPLOYEE)."""
    return Customer(
        key=f"{employee.key}-ACCT",
        store=employee.store,
        vendor=COUNTERPOINT,
        external_id=f"EMP-{employee.external_id}"[:15],
        tier="EMPLOYEE",
        first=employee.first,
        last=employee.last,
        phone=employee.phone,
        email=employee.email,
        cards=(),
        tax_exempt=False,
        loyalty=False,
        created_at=datetime.combine(start - timedelta(days=400), datetime.min.time(), UTC),
    )
