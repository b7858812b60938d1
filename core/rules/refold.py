"""What a replay's correction does to the windows: the windows an entity's old reading was folded
into are folded again from the journal, so the events that follow see what a first parse with the
new parser would have left there, not the old reading until it ages out.

A correction (a re-parse that reads an event differently, or a retraction of an entity the seq no
longer names: docs/tsp-ops.md, "Replay safety") reaches the consumer after the old reading has been
folded into the windows. For each window in ``REFOLDED`` the keys the old and new readings fold
into (``touched``: each reading folded alone into an empty state) are rebuilt by folding, in seq
order, every journalled event from the horizon on (``refold``): the journal then holds the new
reading, or nothing for a retracted entity. Keys the readings do not touch are left as they are.

``REFOLDED`` are the windows with a fold and a retention whose fold reads and writes its own table
only, so re-folding one needs nothing else as it stood at the time: Q-VR-03's voids, C-005's card
uses, Q-DM-02's item sales, Q-DS-02's session activity and the drawer sessions (Q-DS-02, Q-DS-03). Not
re-folded: windows whose fold also writes another table (the item price history, transfers and
their routes, the stations' session baselines), the shared reference, transaction and customer
windows, and the rules' own memories; those keep the old reading until it ages out or is replaced.

An episode whose detection a correction superseded is marked withdrawn in ``FIRED`` at the
superseded revision (``reopen_episodes``), so the next finding for it revives it one revision on,
whatever its extent, as after a withdrawal; without that, an episode the old reading had grown would
stay silent until it outgrew its old extent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from core.rules import windows
from core.rules.engine import episode_detection_id
from core.rules.facts import Facts
from core.rules.state import REGISTRY, RuleState, Window

REFOLDED = ("voids", "cards", "item_sales", "session_activity", "drawers")


def refolded() -> list[Window[Any]]:
    return [REGISTRY[name] for name in REFOLDED if name in REGISTRY and REGISTRY[name].fold is not None]


Touched = dict[str, set[str]]


def touched(readings: Iterable[Facts]) -> Touched:
    """Per window of ``REFOLDED``, the keys these readings fold into."""
    out: Touched = {}
    held = list(readings)
    for window in refolded():
        assert window.fold is not None
        for facts in held:
            scratch = RuleState()
            window.fold(scratch, facts)
            keys = {key for key, _value in window.items(scratch)}
            if keys:
                out.setdefault(window.name, set()).update(keys)
    return out


def horizon(state: RuleState, keys: Touched, readings: Iterable[Facts]) -> float:
    """The earliest event time a rebuild of ``keys`` must read from: each window's retention behind
    the earliest reading, or behind the oldest time the key holds now, whichever is earlier."""
    times = [f.ts for f in readings]
    start = float("inf")
    for name, wanted in keys.items():
        keep = REGISTRY[name].retention or 0.0
        oldest = [_oldest(state.get(name, key)) for key in wanted]
        start = min(start, *(t - keep for t in times), *(t for t in oldest if t is not None))
    return start


def refold(state: RuleState, journal: Sequence[Facts], keys: Touched) -> None:
    """Rebuild ``keys`` of their windows by folding ``journal`` (the journalled events from the
    horizon on) in seq order; a key no event folds into any more is removed."""
    scratch = RuleState()
    folds = [REGISTRY[name].fold for name in sorted(keys)]
    for facts in sorted(journal, key=lambda f: f.seq):
        for fold in folds:
            assert fold is not None
            fold(scratch, facts)
    for name, wanted in keys.items():
        for key in sorted(wanted):
            value = scratch.get(name, key)
            if value is None:
                state.pop(name, key)
            elif value != state.get(name, key):
                state.put(name, key, value)


def reopen_episodes(state: RuleState, merchant_id: str, superseded: Mapping[str, int]) -> int:
    """Mark withdrawn, at the revision they were superseded at, the episodes whose detections are
    in ``superseded`` (detection id: revision); returns how many."""
    if not superseded:
        return 0
    done = 0
    for key, held in windows.FIRED.items(state):
        if "|episode|" not in key or not isinstance(held, list) or len(held) < 3:
            continue
        found = superseded.get(episode_detection_id(merchant_id, key))
        if found is None:
            continue
        windows.FIRED.put(state, key, [held[0], held[1], max(int(held[2]), found), 1])
        done += 1
    return done


def _oldest(value: Any) -> float | None:
    """The earliest time a window value holds: a row led by its time, a list of such rows."""
    if isinstance(value, list) and value:
        first = value[0]
        if isinstance(first, list):
            stamps = [float(r[0]) for r in value if r and isinstance(r[0], int | float)]
            return min(stamps) if stamps else None
        if isinstance(first, int | float) and not isinstance(first, bool):
            return float(first)
    if isinstance(value, dict) and isinstance(value.get("ts"), int | float):
        return float(value["ts"])
    return None
