"""A rule memory entry mapping keys to their latest event time, without those more than ``kept``
behind the newest: what the re-judging rules hold to know which keys a late, earlier-timed event
reaches back into (Q-ME-01's employee-weeks, Q-CT-01's customers).

Stored exactly as before (a JSON object, in insertion order; an entry pruned, the rest in the order
they were), but kept without walking every key on every event: the newest time and a lower bound
on the oldest are remembered beside it (``RuleState.cache``, never persisted, valid while the map
is the very object they were worked out on), and the map is filtered only when that bound says
something may have fallen behind. With thousands of customers the walk was most of Q-CT-01's time.
"""

from __future__ import annotations

from core.rules.state import RuleMemory, RuleState


def touch(state: RuleState, memory: RuleMemory, name: str, key: str, ts: float, kept: float) -> None:
    """Set ``key``'s latest time to ``ts`` if later, after dropping every key whose latest time is
    more than ``kept`` behind the newest (``ts`` included)."""
    held: dict[str, float] = memory.get(name) or {}
    memo_key = ("recency", f"{memory.table}|{name}")
    memo = state.cache.get(memo_key)
    if memo is not None and memo[0] is held:
        newest, floor = memo[1], memo[2]
    else:
        newest = max(held.values(), default=ts)
        floor = min(held.values(), default=ts)
    newest = max(newest, ts)
    if floor < newest - kept:
        held = {k: v for k, v in held.items() if v >= newest - kept}
        floor = min(held.values(), default=ts)
    held[key] = max(ts, held.get(key, ts))  # in place: the put below marks it for writing
    memory.put(name, held)
    state.cache[memo_key] = (held, newest, min(floor, ts))
