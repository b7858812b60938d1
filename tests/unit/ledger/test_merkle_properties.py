"""core.ledger.merkle against a recursive reference written straight from RFC 6962 §2.1.

The reference shares nothing with the module under test but SHA-256. Because a genuine (size, root)
has exactly one valid proof (short of a hash collision), "verifies" must equal "is the reference
proof" for any tampered proof checked against a genuine root — that is the oracle for tampering.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.ledger import merkle


# --- reference, transcribed from RFC 6962 §2.1 -------------------------------------------------
def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: list[bytes]) -> bytes:
    if not d:
        return _h(b"")
    if len(d) == 1:
        return _h(b"\x00" + d[0])
    k = _k(len(d))
    return _h(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:]))


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [ref_mth(d)]
    k = _k(len(d))
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


# --- generated trees ---------------------------------------------------------------------------
SETTINGS = settings(max_examples=200, deadline=None)
trees = st.lists(st.binary(max_size=6), min_size=1, max_size=70)
INCLUSION_TAMPERS = ["none", "flip", "truncate", "drop_first", "extend", "prepend", "index", "size", "data"]
CONSISTENCY_TAMPERS = ["none", "flip", "truncate", "drop_first", "extend", "prepend", "old_size", "new_size"]


def _tamper_path(kind: str, proof: list[bytes], data: st.DataObject, extra: bytes) -> list[bytes]:
    if kind == "flip" and proof:
        at = data.draw(st.integers(0, len(proof) - 1))
        byte = data.draw(st.integers(0, 31))
        return [
            p if i != at else p[:byte] + bytes([p[byte] ^ 1]) + p[byte + 1 :] for i, p in enumerate(proof)
        ]
    if kind == "truncate":
        return proof[:-1]
    if kind == "drop_first":
        return proof[1:]
    if kind == "extend":
        return [*proof, extra]
    if kind == "prepend":
        return [extra, *proof]
    return proof


@SETTINGS
@given(trees)
def test_root_agrees_with_the_reference_for_every_prefix(leaves: list[bytes]) -> None:
    for n in range(len(leaves) + 1):
        assert merkle.root(leaves[:n]) == ref_mth(leaves[:n])


@SETTINGS
@given(trees, st.data())
def test_inclusion_proof_agrees_with_the_reference_and_verifies(
    leaves: list[bytes], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(leaves) - 1))
    proof = merkle.inclusion_proof(leaves, index)
    assert proof == ref_path(index, leaves)
    assert merkle.verify_inclusion(leaves[index], index, len(leaves), proof, ref_mth(leaves))


@SETTINGS
@given(trees, st.data())
def test_consistency_proof_agrees_with_the_reference_and_verifies(
    leaves: list[bytes], data: st.DataObject
) -> None:
    old = data.draw(st.integers(1, len(leaves)))
    proof = merkle.consistency_proof(leaves, old)
    assert proof == ref_subproof(old, leaves, True)
    assert merkle.verify_consistency(old, len(leaves), ref_mth(leaves[:old]), ref_mth(leaves), proof)


@SETTINGS
@given(trees, st.sampled_from(INCLUSION_TAMPERS), st.data())
def test_a_tampered_inclusion_proof_verifies_only_if_it_is_the_genuine_proof(
    leaves: list[bytes], kind: str, data: st.DataObject
) -> None:
    n = len(leaves)
    index = data.draw(st.integers(0, n - 1))
    proof = _tamper_path(
        kind,
        ref_path(index, leaves),
        data,
        data.draw(st.sampled_from([ref_mth(leaves), _h(b"\x00" + leaves[index]), b"\x07" * 32])),
    )
    claimed_data, claimed_index, claimed_size = leaves[index], index, n
    if kind == "index":
        claimed_index = data.draw(st.integers(0, n + 1))
    elif kind == "size":
        claimed_size = data.draw(st.integers(1, n))
    elif kind == "data":
        claimed_data = leaves[index] + b"\x00"
    genuine_root = ref_mth(leaves[:claimed_size])
    expected = (
        claimed_index < claimed_size
        and claimed_data == leaves[claimed_index]
        and proof == ref_path(claimed_index, leaves[:claimed_size])
    )
    assert merkle.verify_inclusion(claimed_data, claimed_index, claimed_size, proof, genuine_root) is expected


@SETTINGS
@given(trees, st.sampled_from(CONSISTENCY_TAMPERS), st.data())
def test_a_tampered_consistency_proof_verifies_only_if_it_is_the_genuine_proof(
    leaves: list[bytes], kind: str, data: st.DataObject
) -> None:
    n = len(leaves)
    old = data.draw(st.integers(1, n))
    proof = _tamper_path(
        kind,
        ref_subproof(old, leaves, True),
        data,
        data.draw(st.sampled_from([ref_mth(leaves[:old]), ref_mth(leaves), b"\x07" * 32])),
    )
    claimed_old, claimed_new = old, n
    if kind == "old_size":
        claimed_old = data.draw(st.integers(0, n))
    elif kind == "new_size":
        claimed_new = data.draw(st.integers(1, n))
    old_root, new_root = ref_mth(leaves[:claimed_old]), ref_mth(leaves[:claimed_new])
    expected = 0 < claimed_old <= claimed_new and proof == ref_subproof(
        claimed_old, leaves[:claimed_new], True
    )
    assert merkle.verify_consistency(claimed_old, claimed_new, old_root, new_root, proof) is expected
    if old_root != new_root:
        assert not merkle.verify_consistency(claimed_old, claimed_new, new_root, old_root, proof)


def _flips(proof: list[bytes]) -> list[list[bytes]]:
    return [
        [*proof[:i], bytes([proof[i][0] ^ 0x80]) + proof[i][1:], *proof[i + 1 :]] for i in range(len(proof))
    ]


@pytest.mark.parametrize("n", range(1, 33))
def test_every_inclusion_proof_up_to_32_leaves_verifies_and_every_alteration_fails(n: int) -> None:
    leaves = [bytes([i]) * (i % 3) for i in range(n)]  # includes b"" and repeated bytes
    leaves = [b"%d" % i + leaf for i, leaf in enumerate(leaves)]
    root = merkle.root(leaves)
    for i in range(n):
        proof = merkle.inclusion_proof(leaves, i)
        assert proof == ref_path(i, leaves)
        assert merkle.verify_inclusion(leaves[i], i, n, proof, root)
        altered = [*_flips(proof), [*proof, root], [root, *proof]] + ([proof[:-1]] if proof else [])
        for bad in altered:
            assert not merkle.verify_inclusion(leaves[i], i, n, bad, root)
        assert not merkle.verify_inclusion(leaves[i], i + 1, n, proof, root)
        assert not merkle.verify_inclusion(leaves[i], i, n + 1, proof, merkle.root([*leaves, b"next"]))
        assert not merkle.verify_inclusion(leaves[i], i, n, proof, merkle.EMPTY_ROOT)


@pytest.mark.parametrize("n", range(1, 33))
def test_every_consistency_proof_up_to_32_leaves_verifies_and_every_alteration_fails(n: int) -> None:
    leaves = [b"leaf %d" % i for i in range(n)]
    new_root = merkle.root(leaves)
    for m in range(1, n + 1):
        old_root = merkle.root(leaves[:m])
        proof = merkle.consistency_proof(leaves, m)
        assert proof == ref_subproof(m, leaves, True)
        assert merkle.verify_consistency(m, n, old_root, new_root, proof)
        altered = [*_flips(proof), [*proof, new_root], [old_root, *proof]] + ([proof[:-1]] if proof else [])
        for bad in altered:
            assert not merkle.verify_consistency(m, n, old_root, new_root, bad)
        if m < n:
            assert not merkle.verify_consistency(m, n, new_root, old_root, proof)
            assert not merkle.verify_consistency(m + 1, n, merkle.root(leaves[: m + 1]), new_root, proof)


def test_a_proof_cannot_claim_a_level_the_tree_does_not_have() -> None:
    # Without the final sn == 0 check the two-leaf root would pass as the root of a four-leaf tree.
    leaves = [b"a", b"b"]
    two = merkle.root(leaves)
    assert merkle.verify_inclusion(b"a", 0, 2, merkle.inclusion_proof(leaves, 0), two)
    assert not merkle.verify_inclusion(b"a", 0, 4, merkle.inclusion_proof(leaves, 0), two)
    one = merkle.root(leaves[:1])
    assert merkle.verify_consistency(1, 2, one, two, merkle.consistency_proof(leaves, 1))
    assert not merkle.verify_consistency(1, 4, one, two, merkle.consistency_proof(leaves, 1))


def test_edge_cases_are_answers_not_exceptions() -> None:
    leaves = [b"a", b"b", b"c"]
    root = merkle.root(leaves)
    assert merkle.verify_consistency(3, 3, root, root, [])
    assert not merkle.verify_consistency(3, 3, root, root, [root])
    assert not merkle.verify_consistency(3, 3, root, merkle.root(leaves[:2]), [])
    assert not merkle.verify_consistency(0, 3, merkle.EMPTY_ROOT, root, [])
    assert not merkle.verify_consistency(3, 2, root, root, [])
    assert not merkle.verify_consistency(-1, 3, root, root, [])
    assert not merkle.verify_consistency(1, 3, root[:31], root, [root])
    assert not merkle.verify_inclusion(b"a", 3, 3, [], root)
    assert not merkle.verify_inclusion(b"a", -1, 3, [], root)
    assert not merkle.verify_inclusion(b"a", 0, 0, [], merkle.EMPTY_ROOT)
    assert not merkle.verify_inclusion(b"a", True, 3, [], root)
    assert not merkle.verify_inclusion("a", 0, 3, [], root)  # type: ignore[arg-type]
    assert not merkle.verify_inclusion(b"a", 0, 3, None, root)  # type: ignore[arg-type]
    assert not merkle.verify_inclusion(b"a", 0, 3, [b"short"], root)
    assert not merkle.verify_inclusion_hash(b"short", 0, 1, [], root)
    with pytest.raises(ValueError, match="outside"):
        merkle.inclusion_proof(leaves, 3)
    with pytest.raises(ValueError, match="no consistency proof"):
        merkle.consistency_proof(leaves, 0)
    with pytest.raises(ValueError, match="no consistency proof"):
        merkle.consistency_proof(leaves, 4)
    assert merkle.consistency_proof(leaves, 3) == []
