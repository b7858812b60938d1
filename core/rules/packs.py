"""Vertical packs: a named set of parameter changes for a vertical, previewable and snapshotted.

The garden-center pack is the five allow-lists of Q.6.1–Q.6.5. Each is expressed as parameter values
(durable configuration) rather than allow-list entries, which must expire: a grower paid in cash is
normal for as long as the tenant is a garden center. Applying a pack records the configurations it
replaced; a later tuning of a pack-set parameter is a per-tenant override and is logged as one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from core.rules.errors import ChirpError
from core.rules.model import ParamValue


@dataclass(frozen=True)
class PackChange:
    allow_list: str  # Q.6.x
    title: str
    rule_id: str
    parameter: str
    value: ParamValue
    effect: str


@dataclass(frozen=True)
class VerticalPack:
    id: str
    version: int
    title: str
    description: str
    changes: tuple[PackChange, ...]
    notes: tuple[str, ...] = ()

    def rules(self) -> list[str]:
        return sorted({c.rule_id for c in self.changes})

    def source(self) -> str:
        return f"pack:{self.id}@{self.version}"


GARDEN_CENTER = VerticalPack(
    id="garden-center",
    version=1,
    title="Garden center",
    description="Growers paid in cash, hand-keyed receivers, seasonal catalogs, live-goods shrink and "
    "mix-and-match flats: the five garden-center allow-lists (seed Q.6.1–Q.6.5).",
    changes=(
        PackChange(
            "Q.6.1",
            "Cash-vendor-payment",
            "Q-IS-02",
            "classification",
            "ad_hoc_vendor_payment",
            "cash-paid receivers are labelled ad-hoc vendor payments in the review queue (never fraud)",
        ),
        PackChange(
            "Q.6.2",
            "Manual-entry noise",
            "Q-IS-01",
            "qty_pct",
            10.0,
            "receiver-vs-PO quantity tolerance widened",
        ),
        PackChange(
            "Q.6.2",
            "Manual-entry noise",
            "Q-IS-01",
            "amount_cents",
            25_000,
            "receiver-vs-PO money tolerance widened",
        ),
        PackChange(
            "Q.6.3",
            "Item-code drift",
            "Q-ME-01",
            "new_item_grace_days",
            30,
            "items new to the catalog in the last 30 days do not count towards below-margin volume",
        ),
        PackChange(
            "Q.6.3",
            "Item-code drift",
            "Q-CT-01",
            "new_item_grace_days",
            30,
            "tickets of only new items do not count towards a trade customer's retail pattern",
        ),
        PackChange(
            "Q.6.4",
            "Live-goods write-off",
            "Q-IS-04",
            "baseline",
            "seasonal",
            "write-offs compared with the same weeks last year, so only spikes above the season flag",
        ),
        PackChange(
            "Q.6.5",
            "Mix-and-match expected overlap",
            "Q-ME-01",
            "exclude_mix_match_lines",
            True,
            "mix-and-match lines are judged by bundle margin (Q-MM-01), not line margin",
        ),
        PackChange(
            "Q.6.5",
            "Mix-and-match expected overlap",
            "Q-DM-03",
            "exclude_mix_match_lines",
            True,
            "a below-cost line inside a bundle is not a below-cost sale",
        ),
    ),
    notes=(
        "Q-MM-01 already flags only a bundle whose margin is negative; the pack keeps it as it is.",
        "Q-IS-03 keeps its tolerance: hand-keyed counts err both ways and net out over a route's last "
        "transfers, so widening the route trend would only hide steady losses (Q.6.2 widens the "
        "per-document receiver check, Q-IS-01, where one mistyped count is not averaged away).",
    ),
)

PACKS: Mapping[str, VerticalPack] = {GARDEN_CENTER.id: GARDEN_CENTER}


class UnknownPackError(ChirpError, LookupError):
    pass


def get_pack(pack_id: str) -> VerticalPack:
    try:
        return PACKS[pack_id]
    except KeyError:
        raise UnknownPackError(f"no vertical pack {pack_id!r} (packs: {', '.join(PACKS)})") from None


def packs_touching(rule_id: str) -> list[tuple[VerticalPack, PackChange]]:
    return [(pack, change) for pack in PACKS.values() for change in pack.changes if change.rule_id == rule_id]
