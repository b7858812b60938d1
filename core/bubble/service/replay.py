"""What Bubble would raise over a window, for Chirp's replays of the A-BUBBLE-* rules (``dry_run_rule``,
the readiness check of a promotion; docs/bubble.md "Chirp's replays").

Chirp replays its event journal, which holds no Bubble episodes: they come from scoring, not from one
ledger entry. So for a Bubble rule the replay's events are the episodes the scorer finds in the
merchant's stored device-hours before the window's end — the same ``core.bubble.score`` call a run
makes, with the merchant's last run's thresholds (the defaults before any run) and the re-baselines
analysts' closed cases put in force (those the next run would record included) — each as the
``bubble_episode`` event a run hands Chirp's engine (``core/bubble/signal.py``). The rules then apply
the current or the proposed parameters (``min_peak_score``, ``min_hours``, ``high_severity_score``,
``include_drift``, ``context_dimensions``) and the allow-list exactly as on a run. Hours at or after
the end are not read, so the replay is point-in-time like the journal's. Nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from core.bubble import DEFAULT_THRESHOLDS, Thresholds, score
from core.bubble.frame import InputError
from core.bubble.service import rebaselines
from core.bubble.service.scoring import RUNS, stored_hours
from core.bubble.signal import episode_event
from core.rules.errors import InvalidRequestError
from core.rules.facts import Facts


@dataclass(frozen=True)
class Replay:
    facts: list[Facts]  # the episodes found before the end, as their rules' events, in start order
    hours: list[datetime]  # the device-hours scored (one entry per device-hour), in time order

    def hours_since(self, start: datetime) -> int:
        return sum(1 for h in self.hours if h >= start)


def episodes_before(session: Session, merchant_id: str, end: datetime) -> Replay:
    """The episodes Bubble finds in the stored device-hours before ``end``. A merchant without
    device-hours has none."""
    hours = stored_hours(session, merchant_id, before=end)
    if not hours:
        return Replay([], [])
    run = session.execute(select(RUNS.c.thresholds).where(RUNS.c.merchant_id == merchant_id)).first()
    thresholds = Thresholds(**run.thresholds) if run is not None else DEFAULT_THRESHOLDS
    try:
        result = score(hours, thresholds, rebaselines=rebaselines.would_be_in_force(session, merchant_id))
    except InputError as exc:  # e.g. a device seen in two stores: nothing to replay until it is fixed
        raise InvalidRequestError(f"Bubble cannot score this merchant's device-hours: {exc}") from exc
    episodes = sorted(result.episodes, key=lambda e: (e.start, e.id))
    return Replay(
        [Facts.from_event(episode_event(merchant_id, e)) for e in episodes], [h.hour for h in hours]
    )
