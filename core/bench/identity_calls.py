"""What the ``identity`` benchmark asks each tool: varied, realistic arguments, drawn with a seed.

Customers are drawn from three strata by visit count (the heaviest 1 %, the light ones with at most
five visits, everyone else), because the cost of a history or complaints page depends on how many
rows a customer has. Paged tools read several pages in a row by passing back the cursor they got,
as an agent does; every page is one timed sample. The same plan drives the service and the MCP
layer, so their figures are for the same calls.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.bench.identity_data import World, customer_id
from core.customers.definitions import SEGMENTS

TOOLS = (
    "lookup_customer",
    "lookup_customer_by_card",
    "customer_history",
    "customer_metrics",
    "customer_segments",
    "customer_complaints",
)


@dataclass(frozen=True)
class Call:
    tool: str
    args: dict[str, Any]
    pages: int = 1  # pages to read, following next_cursor (fewer if the list ends first)


@dataclass
class Strata:
    heavy: list[int] = field(default_factory=list)
    medium: list[int] = field(default_factory=list)
    light: list[int] = field(default_factory=list)
    refunders: list[int] = field(default_factory=list)  # customers with many visits, so likely refunds

    @classmethod
    def of(cls, world: World) -> Strata:
        seen = sorted((v, i) for i, v in enumerate(world.visits) if v)
        cut = max(1, len(seen) // 100)
        strata = cls(heavy=[i for _, i in seen[-cut:]])
        strata.light = [i for v, i in seen if v <= 5]
        strata.medium = [i for v, i in seen[:-cut] if v > 5]
        strata.refunders = [i for v, i in seen if v >= 20]
        return strata

    def customer(self, rng: random.Random) -> int:
        roll = rng.random()
        pool = self.heavy if roll < 0.3 else self.medium if roll < 0.7 else self.light
        return rng.choice(pool or self.heavy)


def plan(world: World, samples: int, seed: int = 5) -> dict[str, list[Call]]:
    """Calls for at least ``samples`` timed pages per tool; a list may end before its planned pages,
    so half as many again are planned and ``timed`` stops at ``samples``."""
    rng, strata = random.Random(seed), Strata.of(world)
    makers: dict[str, Callable[[], Call]] = {
        "lookup_customer": lambda: _lookup(rng, strata),
        "lookup_customer_by_card": lambda: _card(rng, strata, world),
        "customer_history": lambda: _history(rng, strata, world),
        "customer_metrics": lambda: Call("customer_metrics", {"customer": customer_id(strata.customer(rng))}),
        "customer_segments": lambda: _segments(rng, strata),
        "customer_complaints": lambda: _complaints(rng, strata),
    }
    out: dict[str, list[Call]] = {}
    for tool, make in makers.items():
        calls: list[Call] = []
        while sum(c.pages for c in calls) < samples * 3 // 2:
            calls.append(make())
        out[tool] = calls
    return out


def _lookup(rng: random.Random, strata: Strata) -> Call:
    who, roll = strata.customer(rng), rng.random()
    # By Canary's id, by the POS's own id (the second index), or someone unknown (found=False).
    ref = customer_id(who) if roll < 0.6 else f"C{who:07d}" if roll < 0.9 else f"sq:customer:X{who}"
    return Call("lookup_customer", {"customer": ref})


def _card(rng: random.Random, strata: Strata, world: World) -> Call:
    roll = rng.random()
    if roll < 0.25 and world.shared_cards:  # a family card: small pages so the cursor is used
        return Call("lookup_customer_by_card", {"fingerprint": rng.choice(world.shared_cards), "limit": 2}, 2)
    if roll < 0.35:  # the busiest walk-in cards, mostly anonymous uses
        return Call("lookup_customer_by_card", {"fingerprint": f"fp_a{rng.randrange(1, 4) * 7919}"})
    if roll < 0.4:
        return Call("lookup_customer_by_card", {"fingerprint": f"fp_unknown_{rng.randrange(10**6)}"})
    wallet = world.wallets[strata.customer(rng)]
    return Call("lookup_customer_by_card", {"fingerprint": rng.choice(wallet)})


def _history(rng: random.Random, strata: Strata, world: World) -> Call:
    who = strata.customer(rng)
    pages = rng.choice((1, 1, 2, 3, 5)) if world.visits[who] > 20 else 1
    return Call("customer_history", {"customer": customer_id(who), "limit": 20}, pages)


def _segments(rng: random.Random, strata: Strata) -> Call:
    roll = rng.random()
    if roll < 0.3:
        return Call("customer_segments", {})
    if roll < 0.6:
        return Call("customer_segments", {"customer": customer_id(strata.customer(rng))})
    return Call("customer_segments", {"members_of": rng.choice(SEGMENTS), "limit": 20}, rng.choice((1, 2, 3)))


def _complaints(rng: random.Random, strata: Strata) -> Call:
    if rng.random() < 0.4:
        return Call("customer_complaints", {"limit": 20}, rng.choice((1, 2, 3)))
    pool = strata.refunders if rng.random() < 0.7 and strata.refunders else strata.light
    return Call("customer_complaints", {"customer": customer_id(rng.choice(pool))})


Invoke = Callable[[str, dict[str, Any]], str | None]
AsyncInvoke = Callable[[str, dict[str, Any]], Awaitable[str | None]]


def timed(calls: Sequence[Call], invoke: Invoke, samples: int) -> list[float]:
    """Seconds per page, ``samples`` of them; ``invoke`` runs one call and returns its next cursor."""
    out: list[float] = []
    for call in calls:
        args = dict(call.args)
        for _ in range(call.pages):
            if len(out) == samples:
                return out
            began = time.perf_counter()
            cursor = invoke(call.tool, args)
            out.append(time.perf_counter() - began)
            if not cursor:
                break
            args["cursor"] = cursor
    return out


async def timed_async(calls: Sequence[Call], invoke: AsyncInvoke, samples: int) -> list[float]:
    """``timed`` for an async client (the MCP layer)."""
    out: list[float] = []
    for call in calls:
        args = dict(call.args)
        for _ in range(call.pages):
            if len(out) == samples:
                return out
            began = time.perf_counter()
            cursor = await invoke(call.tool, args)
            out.append(time.perf_counter() - began)
            if not cursor:
                break
            args["cursor"] = cursor
    return out
