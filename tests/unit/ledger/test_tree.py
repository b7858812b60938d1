"""MerkleLog: stored perfect subtrees give the same roots and proofs as hashing the whole list."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.ledger import merkle
from core.ledger.tree import MemoryNodeStore, MerkleLog, MissingNodeError, NodeKey, NodeRow, perfect_cover


class CountingStore(MemoryNodeStore):
    def __init__(self) -> None:
        super().__init__()
        self.reads: list[list[NodeKey]] = []
        self.writes: list[list[NodeRow]] = []

    def get_many(self, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
        self.reads.append(list(keys))
        return super().get_many(keys)

    def put_many(self, rows: Sequence[NodeRow]) -> None:
        self.writes.append(list(rows))
        super().put_many(rows)


class UniformStore:
    """A virtual log of any size whose leaves are all ``b""``: every perfect subtree on a level has
    the same, genuine hash, so proofs verify without building a million leaves."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.levels = [merkle.leaf_hash(b"")]
        for _ in range(size.bit_length()):
            self.levels.append(merkle.node_hash(self.levels[-1], self.levels[-1]))
        self.keys_read: list[list[NodeKey]] = []

    def get_many(self, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
        self.keys_read.append(list(keys))
        return {(lv, i): self.levels[lv] for lv, i in keys if (i + 1) << lv <= self.size}

    def put_many(self, rows: Sequence[NodeRow]) -> None:
        raise AssertionError("a read-only test store")


def _leaves(n: int) -> list[bytes]:
    return [b"event %d" % i for i in range(n)]


def _check_every_historical_size(log: MerkleLog, leaves: list[bytes], *, compare_proofs: bool) -> None:
    for size in range(len(leaves) + 1):
        root = log.root(size)
        assert root == merkle.root(leaves[:size])
        for index in range(size):
            proof = log.inclusion_proof(index, size)
            assert merkle.verify_inclusion(leaves[index], index, size, proof, root)
            if compare_proofs:
                assert proof == merkle.inclusion_proof(leaves[:size], index)
        for old in range(1, size + 1):
            proof = log.consistency_proof(old, size)
            assert merkle.verify_consistency(old, size, log.root(old), root, proof)
            if compare_proofs:
                assert proof == merkle.consistency_proof(leaves[:size], old)


def test_a_log_built_one_to_eight_leaves_at_a_time_matches_merkle_at_every_size() -> None:
    leaves, log = _leaves(36), MerkleLog(MemoryNodeStore())
    start, batch = 0, 1
    while start < len(leaves):
        assert log.append_many(leaves[start : start + batch]) == min(start + batch, len(leaves))
        start, batch = start + batch, batch % 8 + 1
    _check_every_historical_size(log, leaves, compare_proofs=True)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 9), min_size=1, max_size=6))
def test_random_batch_sizes_give_the_same_log_as_hashing_the_list(batches: list[int]) -> None:
    leaves, log = _leaves(sum(batches)), MerkleLog(MemoryNodeStore())
    start = 0
    for batch in batches:
        log.append_many(leaves[start : start + batch])
        start += batch
    _check_every_historical_size(log, leaves, compare_proofs=False)


def test_the_store_holds_exactly_the_perfect_subtrees_written_once_per_append() -> None:
    leaves, store = _leaves(45), CountingStore()
    log = MerkleLog(store)
    for start in range(0, 45, 10):
        log.append_many(leaves[start : start + 10])
    assert len(store.writes) == 5
    written = [(lv, i) for rows in store.writes for lv, i, _ in rows]
    assert len(written) == len(set(written)) == sum(45 >> lv for lv in range(6))
    for lv, i, value in (row for rows in store.writes for row in rows):
        assert value == merkle.root(leaves[i << lv : (i + 1) << lv])


def test_a_log_reopened_at_its_size_over_the_same_store_continues_the_same_tree() -> None:
    leaves, store = _leaves(29), MemoryNodeStore()
    MerkleLog(store).append_many(leaves[:13])
    reopened = MerkleLog(store, size=13)
    reopened.append_hashes([merkle.leaf_hash(d) for d in leaves[13:]])
    assert reopened.root() == merkle.root(leaves)
    assert reopened.leaf_hash_at(20) == merkle.leaf_hash(leaves[20])
    assert reopened.consistency_proof(13) == merkle.consistency_proof(leaves, 13)


@pytest.mark.parametrize("size", [2**20, 2**20 - 1, 1_000_003])
def test_proofs_at_a_million_leaves_read_a_logarithmic_number_of_nodes_in_one_call(size: int) -> None:
    store = UniformStore(size)
    log = MerkleLog(store, size)
    bound = 2 * size.bit_length() + 2  # path nodes plus the ragged right edge
    root = log.root()
    for index in (0, 1, size // 2, size - 2, size - 1):
        store.keys_read.clear()
        proof = log.inclusion_proof(index)
        assert len(store.keys_read) == 1
        assert len(store.keys_read[0]) <= bound
        assert merkle.verify_inclusion(b"", index, size, proof, root)
    for old in (1, 3, 2**19, size - 1):
        store.keys_read.clear()
        proof = log.consistency_proof(old)
        assert len(store.keys_read) == 1
        assert len(store.keys_read[0]) <= bound
        assert merkle.verify_consistency(old, size, log.root(old), root, proof)


@pytest.mark.parametrize(
    ("lo", "hi", "want"),
    [
        (0, 7, [(2, 0), (1, 2), (0, 6)]),  # a ragged right edge: blocks of decreasing width
        (8, 16, [(3, 1)]),  # a perfect subtree is one stored node
        (3, 9, [(0, 3), (2, 1), (0, 8)]),  # unaligned start: blocks never straddle alignment
        (5, 5, []),
    ],
)
def test_perfect_cover_tiles_a_range_with_aligned_stored_blocks(
    lo: int, hi: int, want: list[NodeKey]
) -> None:
    assert perfect_cover(lo, hi) == want


def test_appending_reads_only_the_old_frontier() -> None:
    store = CountingStore()
    log = MerkleLog(store)
    log.append_many(_leaves(1000))
    store.reads.clear()
    log.append_many(_leaves(3))
    assert len(store.reads) == 1
    assert len(store.reads[0]) == bin(1000).count("1")


def test_a_64_byte_event_equal_to_an_interior_node_does_not_reproduce_the_root() -> None:
    events = [hashlib.sha256(name).digest() for name in (b"A", b"B", b"C", b"D")]
    forged = [
        merkle.leaf_hash(events[0]) + merkle.leaf_hash(events[1]),
        merkle.leaf_hash(events[2]) + merkle.leaf_hash(events[3]),
    ]

    def naive_root(items: list[bytes]) -> bytes:  # no 0x00 / 0x01 domain separation
        level = [hashlib.sha256(x).digest() for x in items]
        while len(level) > 1:
            level = [hashlib.sha256(level[i] + level[i + 1]).digest() for i in range(0, len(level), 2)]
        return level[0]

    def naive_forged() -> list[bytes]:
        digests = [hashlib.sha256(e).digest() for e in events]
        return [digests[0] + digests[1], digests[2] + digests[3]]

    assert naive_root(events) == naive_root(naive_forged())  # the attack works without prefixes
    real, fake = MerkleLog(MemoryNodeStore()), MerkleLog(MemoryNodeStore())
    real.append_many(events)
    fake.append_many(forged)
    assert real.root() != fake.root()
    right = merkle.node_hash(merkle.leaf_hash(events[2]), merkle.leaf_hash(events[3]))
    assert not merkle.verify_inclusion(forged[0], 0, 2, [right], real.root())
    assert not merkle.verify_inclusion(forged[0], 0, 4, [right], real.root())


def test_history_cannot_be_rewritten_or_skipped_in_the_memory_store() -> None:
    store = MemoryNodeStore()
    store.put_many([(0, 0, b"a" * 32)])
    store.put_many([(0, 0, b"a" * 32)])  # an identical re-put is harmless
    with pytest.raises(ValueError, match="different hash"):
        store.put_many([(0, 0, b"b" * 32)])
    with pytest.raises(ValueError, match="gap"):
        store.put_many([(0, 2, b"c" * 32)])


def test_requests_beyond_the_log_are_refused() -> None:
    log = MerkleLog(MemoryNodeStore())
    assert log.root() == merkle.EMPTY_ROOT
    log.append_many(_leaves(5))
    assert log.append_hashes([]) == 5
    with pytest.raises(ValueError, match="outside"):
        log.root(6)
    with pytest.raises(ValueError, match="outside"):
        log.inclusion_proof(5)
    with pytest.raises(ValueError, match="no consistency proof"):
        log.consistency_proof(0)
    with pytest.raises(ValueError, match="32 bytes"):
        log.append_hashes([b"short"])
    with pytest.raises(ValueError, match="negative"):
        MerkleLog(MemoryNodeStore(), size=-1)


def test_a_size_the_store_cannot_back_is_reported_as_missing_nodes() -> None:
    store = MemoryNodeStore()
    MerkleLog(store).append_many(_leaves(4))
    with pytest.raises(MissingNodeError, match="missing"):
        MerkleLog(store, size=6).root()
