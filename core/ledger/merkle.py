"""RFC 6962 Merkle tree hashing, proofs and RFC 9162 proof verification.

Wire compatibility is the point of this module: a merchant's auditor must be able to check our proofs
with any CT-style verifier (transparency-dev/merkle, Go sumdb ``tlog``), so the hashing is exactly
RFC 6962 §2.1::

    MTH({})   = SHA-256("")
    leaf hash = SHA-256(0x00 || data)
    node hash = SHA-256(0x01 || left || right)
    MTH(D[n]) = node(MTH(D[0:k]), MTH(D[k:n])), k = the largest power of two < n

The 0x00/0x01 prefixes are what make a 64-byte leaf unable to pose as an interior node (second
preimage), and a lone right node moves up unchanged — it is never duplicated (CVE-2012-2459).

Proof *shapes* (which leaf ranges a proof carries, in which order) depend only on the index and
sizes, so they live in ``inclusion_ranges`` / ``consistency_ranges`` and are shared with
``core.ledger.tree``, which fills them from stored subtrees instead of from a list of leaves.

Generators raise ``ValueError`` on impossible requests; verifiers never raise and answer False.
A consistency proof from size 0 is refused, as transparency-dev/merkle does: every tree extends the
empty tree, so such a proof would prove nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return _sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two strictly less than ``n`` (n >= 2): where RFC 6962 splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Leaf ranges ``[lo, hi)`` whose tree hashes form PATH(index, D[size]), leaf sibling first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    out: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        mid = lo + split_point(hi - lo)
        if index < mid:
            out.append((mid, hi))
            hi = mid
        else:
            out.append((lo, mid))
            lo = mid
    out.reverse()
    return out


def consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """Leaf ranges whose tree hashes form PROOF(old_size, D[new_size]) in RFC 6962 SUBPROOF order."""
    if not 0 < old_size <= new_size:
        raise ValueError(f"no consistency proof from size {old_size} to size {new_size}")
    out: list[tuple[int, int]] = []
    lo, hi, m = 0, new_size, old_size
    # ``known`` is SUBPROOF's boolean: the verifier already holds this subtree's hash (it is the old
    # root), so it is left out — which is why a power-of-two old size has no old root in the proof.
    known = True
    while m != hi - lo:
        mid = lo + split_point(hi - lo)
        if m <= mid - lo:
            out.append((mid, hi))
            hi = mid
        else:
            out.append((lo, mid))
            m -= mid - lo
            lo = mid
            known = False
    if not known:
        out.append((lo, hi))
    out.reverse()
    return out


def _subtree_hash(hashes: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes, bottom-up: pairing left to right and carrying an odd last node up
    unchanged builds exactly the RFC's left-balanced tree, without recursion or slicing."""
    level = list(hashes)
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def root(leaves: Sequence[bytes]) -> bytes:
    if not leaves:
        return EMPTY_ROOT
    return _subtree_hash([leaf_hash(d) for d in leaves])


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    hashes = [leaf_hash(d) for d in leaves]
    return [_subtree_hash(hashes[lo:hi]) for lo, hi in inclusion_ranges(index, len(hashes))]


def consistency_proof(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    hashes = [leaf_hash(d) for d in leaves]
    return [_subtree_hash(hashes[lo:hi]) for lo, hi in consistency_ranges(old_size, len(hashes))]


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_path(proof: object) -> bool:
    return isinstance(proof, Sequence) and all(_is_hash(p) for p in proof)


def verify_inclusion(data: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    if not isinstance(data, bytes):
        return False
    return verify_inclusion_hash(leaf_hash(data), index, size, proof, root)


def verify_inclusion_hash(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2. The ``sn`` checks pin the proof length to exactly what (index, size)
    implies, so a proof can neither stop early nor claim an extra level."""
    if not (_is_hash(leaf_hash) and _is_hash(root) and _is_count(index) and _is_count(size)):
        return False
    if index >= size or not _is_path(proof):
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2, plus the edge cases the RFC leaves open, decided as transparency-dev does:
    equal sizes need an empty proof and equal roots; old size 0 is rejected."""
    if not (_is_hash(old_root) and _is_hash(new_root) and _is_count(old_size) and _is_count(new_size)):
        return False
    if not _is_path(proof) or old_size == 0 or old_size > new_size:
        return False
    if old_size == new_size:
        return len(proof) == 0 and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root
