"""An episode as Chirp reads it: the ``bubble_episode`` parsed event the A-BUBBLE-* rules evaluate
(core/rules/families/bubble.py). Pure: the shell (core/bubble/service/signals.py) runs it through
Chirp's engine with the tenant's configuration and stores what the rules find."""

from __future__ import annotations

from core.bubble.results import Episode
from core.domain.parsing import ParsedEvent
from core.domain.records import Vendor

KIND = "bubble_episode"
SOURCE_TYPE = "BUBBLE"


def source_of(episode: Episode) -> str:
    """The substrate the episode's device (or store) came from, by the canonical id's prefix."""
    vendor = Vendor.of_id(episode.device_id or episode.store_id)
    return vendor.slug if vendor else "bubble"


def episode_event(merchant_id: str, episode: Episode) -> ParsedEvent:
    """The parsed event of one episode. Bubble's episodes come from scoring, not from one ledger
        entry, so ``evidence_seq`` is 0; the episode's hours are its evidence. Values are rounded to six
    decimals, so both databases store and compare the same numbers."""
    return ParsedEvent(
        merchant_id=merchant_id,
        evidence_seq=0,
        source=source_of(episode),
        source_type=SOURCE_TYPE,
        kind=KIND,
        entity_id=episode.id,
        occurred_at=episode.start,
        facts={
            KIND: {
                "id": episode.id,
                "scope": episode.scope,
                "store_id": episode.store_id,
                "device_id": episode.device_id,
                "start": episode.start.isoformat(),
                "end": episode.end.isoformat(),
                "hours": episode.hours,
                "peak_score": round(episode.peak_score, 6),
                "channel": episode.channel,
                "dimensions": [
                    {
                        "dimension": ev.dimension,
                        "share": round(ev.share, 6),
                        "expected": round(ev.expected, 6),
                        "observed": round(ev.observed, 6),
                        "unit": ev.unit,
                    }
                    for ev in episode.evidence
                ],
            }
        },
    )
