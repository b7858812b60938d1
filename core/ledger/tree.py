"""An append-only RFC 6962 log whose roots and proofs, at any historical size, cost O(log n) reads.

Only *perfect* subtrees are stored: node ``(level, index)`` is the tree hash of leaves
``[index * 2**level, (index + 1) * 2**level)``, written once, when its last leaf arrives, and never
changed afterwards. Level 0 holds the leaf hashes. A log of n leaves therefore stores just under 2n
nodes, and the set of stored nodes for size n is a prefix of the set for any larger size — which is
why any historical root or proof can still be served.

Any RFC 6962 subtree of a size-n tree is either perfect (one stored node) or a ragged right edge
``[lo, n)``, which splits into at most log2(n) perfect blocks of decreasing width; folding them right
to left rebuilds its hash. A proof touches O(log n) ranges that share those edge blocks, so one
``get_many`` of O(log n) keys serves it, and nothing is re-hashed beyond the ragged edge.

The store is deliberately dumb (get and put rows) so the database adapter can back it with
``merkle_nodes(merchant_id, level, idx, hash)``: ``append_many`` hands every new row to one
``put_many`` call, so the rows land in the caller's transaction. ``MerkleLog`` trusts the ``size``
it is opened with; the caller must read it under the same per-merchant lock that serialises appends.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import repeat
from typing import Protocol

from core.ledger.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    consistency_ranges,
    inclusion_ranges,
    leaf_hash,
    node_hash,
)

NodeKey = tuple[int, int]
"""(level, index) of a perfect subtree."""
NodeRow = tuple[int, int, bytes]
"""(level, index, hash): one row of ``merkle_nodes``."""


class MissingNodeError(LookupError):
    """The store lacks a node that its size says must exist: the store is damaged or the size wrong."""


class NodeStore(Protocol):
    def get_many(self, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
        """The stored hashes for ``keys``; keys that are not stored are simply absent."""
        ...

    def put_many(self, rows: Sequence[NodeRow]) -> None:
        """Store new nodes. Nodes are immutable, so a store may refuse to change an existing one."""
        ...


class MemoryNodeStore:
    """Nodes in per-level lists: the log writes each level strictly left to right, so a list is a
    dense map from index to hash and a million-leaf log stays a few hundred megabytes."""

    def __init__(self) -> None:
        self._levels: list[list[bytes]] = []

    def __len__(self) -> int:
        return sum(len(level) for level in self._levels)

    def get_many(self, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
        out: dict[NodeKey, bytes] = {}
        for level, index in keys:
            if 0 <= level < len(self._levels) and 0 <= index < len(self._levels[level]):
                out[(level, index)] = self._levels[level][index]
        return out

    def put_many(self, rows: Sequence[NodeRow]) -> None:
        for level, index, value in rows:
            while len(self._levels) <= level:
                self._levels.append([])
            nodes = self._levels[level]
            if index == len(nodes):
                nodes.append(value)
            elif index > len(nodes):
                raise ValueError(f"node ({level}, {index}) would leave a gap after index {len(nodes) - 1}")
            elif nodes[index] != value:
                # Rewriting history is exactly what the ledger exists to prevent.
                raise ValueError(f"node ({level}, {index}) is already stored with a different hash")


def perfect_cover(lo: int, hi: int) -> list[NodeKey]:
    """The perfect subtrees that tile leaves ``[lo, hi)``, left to right, each as wide as alignment
    allows. For an RFC 6962 subtree the widths strictly decrease, so a right fold gives its hash."""
    keys: list[NodeKey] = []
    while lo < hi:
        width = 1 << ((hi - lo).bit_length() - 1)
        if lo:
            width = min(width, lo & -lo)
        level = width.bit_length() - 1
        keys.append((level, lo >> level))
        lo += width
    return keys


class MerkleLog:
    def __init__(self, store: NodeStore, size: int = 0) -> None:
        if size < 0:
            raise ValueError("a log cannot have a negative size")
        self._store = store
        self._size = size

    @property
    def size(self) -> int:
        return self._size

    def append_many(self, leaf_data: Iterable[bytes]) -> int:
        """Append leaves (for the ledger: event hashes) and return the new size."""
        return self.append_hashes([leaf_hash(d) for d in leaf_data])

    def append_hashes(self, leaf_hashes: Sequence[bytes]) -> int:
        """Append already leaf-hashed entries, store every perfect subtree they complete with one
        ``put_many``, and return the new size. Hashing runs a level at a time, not per leaf."""
        if any(not isinstance(h, bytes) or len(h) != HASH_SIZE for h in leaf_hashes):
            raise ValueError(f"leaf hashes must be {HASH_SIZE} bytes")
        old, new = self._size, self._size + len(leaf_hashes)
        if old == new:
            return new
        # The old size's perfect subtrees (one per set bit) are the only existing nodes that new
        # parents can need: the left sibling of the first new node on each level.
        frontier = self._fetch(
            [(level, (old >> level) - 1) for level in range(old.bit_length()) if old >> level & 1]
        )
        rows: list[NodeRow] = list(zip(repeat(0, new - old), range(old, new), leaf_hashes, strict=True))
        hashes = list(leaf_hashes)
        level = 0
        while old >> (level + 1) != new >> (level + 1):
            if old >> level & 1:
                hashes.insert(0, frontier[(level, (old >> level) - 1)])
            parents = (new >> (level + 1)) - (old >> (level + 1))
            hashes = [node_hash(hashes[2 * j], hashes[2 * j + 1]) for j in range(parents)]
            level += 1
            first = old >> level
            rows.extend(zip(repeat(level, parents), range(first, first + parents), hashes, strict=True))
        self._store.put_many(rows)
        self._size = new
        return new

    def root(self, size: int | None = None) -> bytes:
        size = self._checked_size(size)
        if size == 0:
            return EMPTY_ROOT
        return self._range_hashes([(0, size)])[0]

    def leaf_hash_at(self, index: int) -> bytes:
        if not 0 <= index < self._size:
            raise ValueError(f"leaf index {index} is outside a log of size {self._size}")
        return self._fetch([(0, index)])[(0, index)]

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return self._range_hashes(inclusion_ranges(index, self._checked_size(size)))

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        return self._range_hashes(consistency_ranges(old_size, self._checked_size(new_size)))

    def _checked_size(self, size: int | None) -> int:
        if size is None:
            return self._size
        if not 0 <= size <= self._size:
            raise ValueError(f"size {size} is outside a log of size {self._size}")
        return size

    def _range_hashes(self, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
        covers = [perfect_cover(lo, hi) for lo, hi in ranges]
        nodes = self._fetch(sorted({key for cover in covers for key in cover}))
        out: list[bytes] = []
        for cover in covers:
            value = nodes[cover[-1]]
            for key in reversed(cover[:-1]):
                value = node_hash(nodes[key], value)
            out.append(value)
        return out

    def _fetch(self, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
        if not keys:
            return {}
        nodes = self._store.get_many(keys)
        missing = [key for key in keys if key not in nodes]
        if missing:
            raise MissingNodeError(
                f"{len(missing)} node(s) missing at log size {self._size}, e.g. {missing[0]}"
            )
        return nodes
