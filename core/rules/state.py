"""Rule state: the windows and baselines rules need across events, as a sharded key-value store.

Everything is JSON-safe (times are epoch seconds) so the store persists to ``rule_state`` rows, one
per *slice* (``<table>:<shard>``), and a restarted consumer continues where it stopped. Only dirty
slices are written, and a big table (cards, per-transaction fingerprints) is split into shards so a
batch rewrites a few kilobytes, not the whole history. Shards are chosen with CRC-32 (stable across
processes; ``hash()`` is salted per process).

Each table is a ``Window`` declared next to the rule that needs it (its key, retention, shards and
fold); the windows several rules share (reference data, the transaction fingerprints, the substrate
record) are declared in ``windows.py``. A rule's own accumulators live in its ``RuleMemory``.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from core.rules.facts import Facts

V = TypeVar("V")

DEFAULT_SHARDS = 4


class Window(Generic[V]):
    """History declared next to the rule that needs it: the table it is kept in (``name``), what a
    key names (``key``, e.g. ``employee|session``), how long an entry lives behind the newest event
    time (``retention``; ``None``: until its own cap pushes it out), how many shards its table is
    split into, and how an event is folded in (``fold``, set with ``@WINDOW.folds``). Rules read and
    write it through the window object, never by a table name, and list the windows they read in
    ``rule(history=...)``.

    Every window registers itself when its module is imported; the engine folds the event into each
    one after the rules have read them (``windows.apply``), and the consumer sweeps each by its
    retention (``retention()``)."""

    __slots__ = ("fold", "key", "name", "retention", "shards")

    def __init__(
        self, name: str, *, key: str, retention: float | None = None, shards: int = DEFAULT_SHARDS
    ) -> None:
        if name in REGISTRY:
            raise ValueError(f"a window named {name!r} is declared twice")
        self.name, self.key, self.retention, self.shards = name, key, retention, shards
        self.fold: Callable[[RuleState, Facts], None] | None = None
        REGISTRY[name] = self
        if shards == 1:
            _SINGLE[name] = f"{name}:0"

    def folds(self, fold: Callable[[RuleState, Facts], None]) -> Callable[[RuleState, Facts], None]:
        """Decorator: how one event is folded into this window (after the rules have read it)."""
        self.fold = fold
        return fold

    def get(self, state: RuleState, key: str) -> V | None:
        held = state._tables.get(self.name)  # RuleState.get inlined: windows are read on every event
        return None if held is None else held.get(key)

    def put(self, state: RuleState, key: str, value: V) -> None:
        state.put(self.name, key, value)

    def pop(self, state: RuleState, key: str) -> V | None:
        return state.pop(self.name, key)  # type: ignore[no-any-return]

    def has(self, state: RuleState) -> bool:
        return state.has(self.name)

    def items(self, state: RuleState) -> Iterator[tuple[str, V]]:
        return state.items(self.name)

    def __repr__(self) -> str:
        return f"Window({self.name!r})"


REGISTRY: dict[str, Window[Any]] = {}
_SINGLE: dict[str, str] = {}  # tables kept in one slice -> that slice's name


def retention() -> dict[str, float]:
    """Each declared window's retention, for the consumer's sweep."""
    return {w.name: w.retention for w in REGISTRY.values() if w.retention is not None}


def _shards(table: str) -> int:
    held = REGISTRY.get(table)
    return DEFAULT_SHARDS if held is None else held.shards


def slice_name(table: str, key: str) -> str:
    single = _SINGLE.get(table)
    if single is not None:
        return single
    return f"{table}:{zlib.crc32(key.encode()) % _shards(table)}"


def _table_of(name: str) -> str:
    return name.rpartition(":")[0]  # rule memories are tables too: "r:Q-ME-01:3" -> "r:Q-ME-01"


class RuleState:
    """A merchant's rule state. ``get`` returns the stored value (mutate it only through ``put``).

    Reads go to one flat dict per table; the shard a key belongs to is worked out when it is written,
    which is rarer than reading and is when persistence needs it."""

    __slots__ = ("_cursor", "_dirty", "_members", "_slices", "_tables", "cache", "memories")

    def __init__(self) -> None:
        self._tables: dict[str, dict[str, Any]] = {}
        self._members: dict[str, set[str]] = {}  # slice name -> its keys
        self._dirty: set[str] = set()
        # table -> key -> slice_name(table, key): worked out once per key, not on every write.
        self._slices: dict[str, dict[str, str]] = {}
        self._cursor = 0
        # Parsed reference records, rebuilt on demand; never persisted.
        self.cache: dict[tuple[str, str], Any] = {}
        self.memories: dict[str, RuleMemory] = {}

    def get(self, table: str, key: str) -> Any:
        held = self._tables.get(table)
        return None if held is None else held.get(key)

    def put(self, table: str, key: str, value: Any) -> None:
        held = self._tables.get(table)
        if held is None:
            held = self._tables[table] = {}
        names = self._slices.get(table)
        if names is None:
            names = self._slices[table] = {}
        name = names.get(key)
        if name is None:
            name = names[key] = slice_name(table, key)
        if key not in held:
            self._members.setdefault(name, set()).add(key)
        held[key] = value
        self._dirty.add(name)

    def pop(self, table: str, key: str) -> Any:
        held = self._tables.get(table)
        if held is None or key not in held:
            return None
        name = self._slices.get(table, {}).pop(key, None) or slice_name(table, key)
        self._members.get(name, set()).discard(key)
        self._dirty.add(name)
        return held.pop(key)

    def has(self, table: str) -> bool:
        """Whether the table holds anything (a rule can skip work for a window never filled)."""
        return bool(self._tables.get(table))

    def items(self, table: str) -> Iterator[tuple[str, Any]]:
        yield from list(self._tables.get(table, {}).items())

    # Persistence -----------------------------------------------------------------------------------

    def _slice(self, name: str) -> dict[str, Any]:
        table = self._tables.get(_table_of(name), {})
        return {key: table[key] for key in sorted(self._members.get(name, ()))}

    def dirty(self) -> dict[str, str]:
        return {name: json.dumps(self._slice(name), separators=(",", ":")) for name in sorted(self._dirty)}

    def mark_clean(self) -> None:
        self._dirty.clear()

    def load(self, slices: Mapping[str, str]) -> None:
        """Replace the named slices with stored JSON (others are kept)."""
        for name, text in slices.items():
            table = self._tables.setdefault(_table_of(name), {})
            for key in self._members.pop(name, set()):
                table.pop(key, None)
            data = json.loads(text)
            table.update(data)
            self._members[name] = set(data)
            self._dirty.discard(name)
        self.cache.clear()

    def slice_names(self) -> list[str]:
        return sorted(self._members)

    def size(self) -> int:
        return sum(len(t) for t in self._tables.values())

    def sweep(self, now: float, retention: Mapping[str, float], budget: int = 4) -> int:
        """Drop keys whose newest timestamp is older than their table's retention, a few slices per
        call (round robin) so a batch never pays for the whole state. Returns keys dropped."""
        names = [n for n in sorted(self._members) if _table_of(n) in retention]
        if not names:
            return 0
        dropped = 0
        for offset in range(min(budget, len(names))):
            name = names[(self._cursor + offset) % len(names)]
            table_name = _table_of(name)
            horizon = now - retention[table_name]
            table = self._tables.get(table_name, {})
            stale = [k for k in self._members[name] if _newest(table.get(k)) < horizon]
            known = self._slices.get(table_name, {})
            for key in stale:
                table.pop(key, None)
                known.pop(key, None)
                self._members[name].discard(key)
            if stale:
                self._dirty.add(name)
                dropped += len(stale)
        self._cursor = (self._cursor + budget) % max(len(names), 1)
        return dropped


def _newest(value: Any) -> float:
    """The newest timestamp in a window value: a number, a row led by its time, a list of such rows,
    or a mapping with ``ts``. Unknown shapes never expire."""
    if isinstance(value, bool):
        return float("inf")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, dict):
        stamp = value.get("ts")
        return float(stamp) if isinstance(stamp, int | float) else float("inf")
    if isinstance(value, list):
        if not value:
            return float("-inf")
        first = value[0]
        if isinstance(first, list):
            stamps = [float(row[0]) for row in value if row and isinstance(row[0], int | float)]
            return max(stamps, default=float("inf"))
        if isinstance(first, int | float) and not isinstance(first, bool):
            return float(first)
    return float("inf")


def memory(state: RuleState, rule_id: str) -> RuleMemory:
    held = state.memories.get(rule_id)
    if held is None:
        held = state.memories[rule_id] = RuleMemory(state, rule_id)
    return held


class RuleMemory:
    """One rule's own accumulators (weekly margin shortfall, override counts, route crossings).
    Rules update these as they evaluate, so an event's effect is the same in every mode."""

    __slots__ = ("_state", "_table")

    def __init__(self, state: RuleState, rule_id: str) -> None:
        self._state, self._table = state, f"r:{rule_id}"

    @property
    def table(self) -> str:
        return self._table

    def get(self, key: str) -> Any:
        return self._state.get(self._table, key)

    def put(self, key: str, value: Any) -> None:
        self._state.put(self._table, key, value)

    def pop(self, key: str) -> Any:
        return self._state.pop(self._table, key)
