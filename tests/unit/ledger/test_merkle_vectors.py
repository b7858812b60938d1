"""Every known-answer vector in the CT / transparency-dev reference set (see the JSON's ``sources``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.ledger import merkle
from core.ledger.tree import MemoryNodeStore, MerkleLog

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parents[2] / "fixtures/merkle/rfc6962_vectors.json").read_text()
)
LEAVES = [bytes.fromhex(h) for h in VECTORS["leaves_hex"]]


def _field(kat: dict[str, str], name: str) -> bytes:
    if f"{name}_hex" in kat:
        return bytes.fromhex(kat[f"{name}_hex"])
    return kat[f"{name}_ascii"].encode()


def _log() -> MerkleLog:
    log = MerkleLog(MemoryNodeStore())
    log.append_many(LEAVES)
    return log


def test_the_vector_file_is_the_eight_leaf_reference_tree() -> None:
    assert len(LEAVES) == 8
    assert VECTORS["empty_root"] == merkle.EMPTY_ROOT.hex()


@pytest.mark.parametrize("kat", VECTORS["hasher_kats"], ids=lambda k: f"{k['kind']}-{k['want'][:8]}")
def test_hasher_matches_the_known_answer(kat: dict[str, str]) -> None:
    if kat["kind"] == "empty_root":
        got = merkle.root([])
    elif kat["kind"] == "leaf":
        got = merkle.leaf_hash(_field(kat, "data"))
    else:
        got = merkle.node_hash(_field(kat, "left"), _field(kat, "right"))
    assert got.hex() == kat["want"]


@pytest.mark.parametrize(("size", "want"), sorted(VECTORS["roots_by_tree_size"].items()))
def test_root_of_each_prefix_matches_the_reference(size: str, want: str) -> None:
    assert merkle.root(LEAVES[: int(size)]).hex() == want
    assert _log().root(int(size)).hex() == want


def test_every_reference_node_hash_is_the_hash_of_its_subtree_and_is_stored_by_the_log() -> None:
    store = MemoryNodeStore()
    MerkleLog(store).append_many(LEAVES)
    for level, hashes in enumerate(VECTORS["node_hashes_by_level"]):
        width = 1 << level
        for index, want in enumerate(hashes):
            assert merkle.root(LEAVES[index * width : (index + 1) * width]).hex() == want
            assert store.get_many([(level, index)])[(level, index)].hex() == want
    assert len(store) == sum(len(level) for level in VECTORS["node_hashes_by_level"])


@pytest.mark.parametrize(
    "case", VECTORS["inclusion_proofs"], ids=lambda c: f"leaf{c['leaf_index']}-size{c['tree_size']}"
)
def test_inclusion_proof_matches_the_reference_and_verifies(case: dict[str, Any]) -> None:
    index, size = case["leaf_index"], case["tree_size"]
    want = [bytes.fromhex(h) for h in case["proof"]]
    assert merkle.inclusion_proof(LEAVES[:size], index) == want
    assert _log().inclusion_proof(index, size) == want
    root = bytes.fromhex(VECTORS["roots_by_tree_size"][str(size)])
    assert merkle.verify_inclusion(LEAVES[index], index, size, want, root)
    assert not merkle.verify_inclusion(LEAVES[index] + b"!", index, size, want, root)


@pytest.mark.parametrize("case", VECTORS["consistency_proofs"], ids=lambda c: f"{c['size1']}-to-{c['size2']}")
def test_consistency_proof_matches_the_reference_and_verifies(case: dict[str, Any]) -> None:
    old, new = case["size1"], case["size2"]
    want = [bytes.fromhex(h) for h in case["proof"]]
    assert merkle.consistency_proof(LEAVES[:new], old) == want
    assert _log().consistency_proof(old, new) == want
    roots = VECTORS["roots_by_tree_size"]
    old_root, new_root = bytes.fromhex(roots[str(old)]), bytes.fromhex(roots[str(new)])
    assert merkle.verify_consistency(old, new, old_root, new_root, want)
    if old != new:
        assert not merkle.verify_consistency(old, new, new_root, old_root, want)
