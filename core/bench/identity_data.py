"""The ``identity`` benchmark's merchant: customers, their cards and two years of sales (pure, seeded).

A hardware-and-garden store with six locations, three registers each. Who buys is skewed the way
a real customer base is: a Zipf-like weight per customer (exponent 0.75) gives a few trade accounts
thousands of visits and a long tail of one- and two-visit customers; 15 % of sales name no customer.
Each customer is active over a window of the two years (some started in the last month, some
lapsed long ago), carries one to three cards, and a few households share a card. About 6 % of
transactions are refunds of one of the same buyer's earlier sales, linked with a reason; 1 % are
voids. Rows come out as tuples in the column order of ``core.bench.identity_load``'s COPY.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate

MERCHANT = "m_bench_identity"
END = datetime(2026, 11, 30, tzinfo=UTC)  # the service clock's "now" during the measurement
DAYS = 730
VERSION = "20261130T000000.000000Z|000000000001"
LOCATIONS = tuple(f"L{n:02d}" for n in range(1, 7))
BRANDS = ("VISA", "VISA", "VISA", "MASTERCARD", "MASTERCARD", "AMEX", "DISCOVER")
ENTRY = ("EMV", "EMV", "CONTACTLESS", "CONTACTLESS", "SWIPED", "KEYED", "ON_FILE")
TIERS = ("retail", "retail", "retail", "contractor", "landscaper", "wholesale")
REASONS = (
    "defective",
    "wrong size",
    "changed mind",
    "damaged in transit",
    "not as described",
    "duplicate purchase",
    "price adjustment",
    "missing parts",
)
ANONYMOUS_SHARE = 0.15
REFUND_SHARE = 0.065
VOID_SHARE = 0.01
SKUS = 5_000


@dataclass(frozen=True)
class Size:
    customers: int
    transactions: int


FULL = Size(customers=100_000, transactions=1_000_000)
QUICK = Size(customers=2_000, transactions=20_000)


def customer_id(n: int) -> str:
    return f"sq:customer:C{n:07d}"


@dataclass
class Rows:
    """One generated transaction's rows, plus what the measurement wants to know about it."""

    transaction: tuple[object, ...]
    lines: list[tuple[object, ...]] = field(default_factory=list)
    tenders: list[tuple[object, ...]] = field(default_factory=list)
    link: tuple[object, ...] | None = None
    amount: int = 0


@dataclass
class World:
    """The merchant's people and cards; ``transactions()`` streams its sales."""

    size: Size
    seed: int = 20261130
    visits: list[int] = field(default_factory=list)  # transactions per customer index
    wallets: list[list[str]] = field(default_factory=list)  # card fingerprints per customer index
    shared_cards: list[str] = field(default_factory=list)  # fingerprints more than one customer uses
    archived: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        rng = random.Random(self.seed)
        n = self.size.customers
        ranks = list(range(1, n + 1))
        rng.shuffle(ranks)  # heavy buyers are spread over the id range, not the first ids
        weights = list(accumulate(r**-0.75 for r in ranks))
        named = round(self.size.transactions * (1 - ANONYMOUS_SHARE))
        self.visits = [0] * n
        for i in rng.choices(range(n), cum_weights=weights, k=named):
            self.visits[i] += 1
        self.wallets = [[f"fp_c{i}_{k}" for k in range(rng.choice((1, 1, 1, 2, 2, 3)))] for i in range(n)]
        for household in range(n // 60):  # ~3 % of customers share a family card with 1–3 others
            card = f"fp_h{household}"
            for member in rng.sample(range(n), rng.randint(2, 4)):
                self.wallets[member].append(card)
            self.shared_cards.append(card)
        self.archived = {i for i in range(n) if rng.random() < 0.02}

    def customers(self) -> Iterator[tuple[object, ...]]:
        """Registry rows as T would have written them; the projection columns start at zero."""
        rng = random.Random(self.seed + 1)
        start = END - timedelta(days=DAYS + 30)
        for i in range(self.size.customers):
            created = start + timedelta(seconds=rng.randrange(DAYS * 86_400))
            archived = i in self.archived
            yield (
                MERCHANT,
                customer_id(i),
                "SQUARE",
                f"C{i:07d}",
                rng.choice(TIERS),
                rng.random() < 0.03,
                "archived" if archived else "active",
                VERSION,
                created,
                END - timedelta(days=rng.randrange(1, 200)) if archived else None,
                created,
                END,
            )

    def transactions(self) -> Iterator[Rows]:
        """Every customer's visits inside their active window, then the anonymous ones."""
        rng = random.Random(self.seed + 2)
        prices = [rng.choice((199, 349, 599, 899, 1_299, 2_499, 4_999, 12_999)) for _ in range(SKUS)]
        maker = _Maker(rng, prices)
        for i, count in enumerate(self.visits):
            if count:
                yield from maker.visits(customer_id(i), self.wallets[i], count, _window(rng, count))
        anonymous = self.size.transactions - sum(self.visits)
        people = [w for w, v in zip(self.wallets, self.visits, strict=True) if v]
        yield from maker.anonymous(anonymous, people)


def _window(rng: random.Random, count: int) -> tuple[float, float]:
    """(first, last) day offsets of a customer's visits within the two years."""
    # 5 % are new this month; the others started any time, more of them early on.
    first = DAYS - rng.uniform(0, 30) if rng.random() < 0.05 else rng.uniform(0, DAYS) * rng.random() ** 0.3
    span = min(DAYS - first, rng.expovariate(1 / 400) * (1 + count / 20))
    return first, first + (span if count > 1 else 0.0)


class _Maker:
    """Builds the rows of one transaction; ids are sequential so a run is reproducible."""

    def __init__(self, rng: random.Random, prices: list[int]) -> None:
        self.rng, self.prices, self.n = rng, prices, 0
        self.start = END - timedelta(days=DAYS)

    def _when(self, day: float) -> datetime:
        # Opening hours 14:00–02:00 UTC (08:00–20:00 in the store's zone), whatever the day offset.
        return self.start + timedelta(days=int(day), seconds=14 * 3600 + self.rng.randrange(12 * 3600))

    def visits(self, who: str, wallet: list[str], count: int, window: tuple[float, float]) -> Iterator[Rows]:
        rng = self.rng
        sales: list[tuple[str, datetime, int, str | None]] = []
        for day in sorted(rng.uniform(*window) for _ in range(count)):
            when = self._when(day)
            if sales and rng.random() < REFUND_SHARE:
                yield self._refund(who, when, sales[rng.randrange(len(sales))])
                continue
            card = rng.choice(wallet) if rng.random() < 0.75 else None
            rows = self._sale(who, when, card)
            sales.append((str(rows.transaction[1]), when, rows.amount, card))
            yield rows

    def anonymous(self, count: int, wallets: list[list[str]]) -> Iterator[Rows]:
        rng = self.rng
        recent: list[tuple[str, datetime, int, str | None]] = []
        for day in sorted(rng.uniform(0, DAYS) for _ in range(count)):
            when = self._when(day)
            if recent and rng.random() < REFUND_SHARE:
                yield self._refund(None, when, recent[rng.randrange(len(recent))])
                continue
            roll = rng.random()
            # A known customer who did not identify themselves, a walk-in's card, or cash.
            card = (
                rng.choice(rng.choice(wallets))
                if roll < 0.2 and wallets
                else f"fp_a{int(rng.paretovariate(1.2)) * 7919 % 200_000}"
                if roll < 0.65
                else None
            )
            rows = self._sale(None, when, card)
            recent = [*recent[-50:], (str(rows.transaction[1]), when, rows.amount, card)]
            yield rows

    def _txn(self, who: str | None, type_: str, when: datetime, amount: int, reason: str | None) -> Rows:
        self.n += 1
        rng = self.rng
        location = rng.choice(LOCATIONS)
        status = "VOIDED" if type_ == "SALE" and rng.random() < VOID_SHARE else "COMPLETED"
        ext = f"T{self.n:08d}"
        return Rows(
            (
                MERCHANT,
                f"sq:txn:{ext}",
                type_,
                status,
                "SQUARE",
                "WEBHOOK",
                ext,
                location,
                f"{location}-R{rng.randrange(1, 4)}",
                f"E{rng.randrange(40):02d}",
                who,
                "USD",
                amount,
                reason,
                when,
                VERSION,
            ),
            amount=amount,
        )

    def _sale(self, who: str | None, when: datetime, card: str | None) -> Rows:
        rng = self.rng
        lines = []
        for line_no in range(1 + min(int(rng.expovariate(0.7)), 19)):
            sku = int(rng.paretovariate(1.1)) % SKUS
            qty = rng.choice((1, 1, 1, 1, 2, 2, 3, 5, 10))
            price = self.prices[sku]
            discount = price * qty // 10 if rng.random() < 0.08 else 0
            lines.append((f"{line_no + 1}", f"SKU{sku:05d}", f"CAT{sku % 40:02d}", qty, price, discount))
        net = sum(q * p - d for _, _, _, q, p, d in lines)
        amount = net + net * 8 // 100
        rows = self._txn(who, "SALE", when, amount, None)
        txn_id = rows.transaction[1]
        rows.lines = [
            (MERCHANT, txn_id, no, "SALE", sku, cat, f"item {sku}", float(q), p, q * p - d, d, False, VERSION)
            for no, sku, cat, q, p, d in lines
        ]
        if card is not None and rng.random() < 0.07:  # split: part cash, the rest on the card
            cash = amount // 3
            rows.tenders = [
                self._tender(txn_id, 1, None, cash, when),
                self._tender(txn_id, 2, card, amount - cash, when),
            ]
        else:
            rows.tenders = [self._tender(txn_id, 1, card, amount, when)]
        return rows

    def _refund(self, who: str | None, when: datetime, sale: tuple[str, datetime, int, str | None]) -> Rows:
        rng = self.rng
        original, _, paid, card = sale
        amount = paid if rng.random() < 0.6 else max(1, paid * rng.randint(10, 90) // 100)
        roll = rng.random()
        reason = rng.choice(REASONS)
        rows = self._txn(who, "REFUND", when, amount, reason if 0.85 <= roll < 0.9 else None)
        txn_id = rows.transaction[1]
        rows.tenders = [self._tender(txn_id, 1, card, amount, when)]
        rows.link = (MERCHANT, txn_id, original, reason if roll < 0.85 else None, VERSION)
        return rows

    def _tender(
        self, txn_id: object, no: int, card: str | None, amount: int, when: datetime
    ) -> tuple[object, ...]:
        brand = BRANDS[zlib.crc32(card.encode()) % len(BRANDS)] if card else None
        entry = self.rng.choice(ENTRY) if card else None
        kind = "CARD" if card else "CASH"
        return (
            MERCHANT,
            txn_id,
            f"{txn_id}:{no}",
            kind,
            "COMPLETED",
            amount,
            0,
            "USD",
            card,
            brand,
            entry,
            when,
            VERSION,
        )
