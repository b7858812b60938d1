"""A verifier for canary-receipt/v1 written only from docs/ledger.md, with hashlib, base64, json and
cryptography: it imports nothing of Canary (tests/integration/pipeline/test_receipts.py checks that),
so a receipt that passes here is checkable by a third party that never ran Canary's code."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class Rejected(Exception):
    pass


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return _h(b"\x01" + left + right)


def _signed_checkpoint(receipt: dict[str, Any], public_key: bytes) -> tuple[int, bytes]:
    """(size, root) from the C2SP signed note, once the Ed25519 signature by the key verifies."""
    note, key_name = receipt["checkpoint"]["note"], receipt["key"]["name"]
    body, _, signatures = note.partition("\n\n")
    body += "\n"
    key_id = _h(key_name.encode() + b"\n\x01" + public_key)[:4]
    verified = False
    for line in signatures.rstrip("\n").split("\n"):
        name, _, blob64 = line.removeprefix("\u2014 ").partition(" ")
        blob = base64.b64decode(blob64)
        if name == key_name and blob[:4] == key_id:
            try:
                Ed25519PublicKey.from_public_bytes(public_key).verify(blob[4:], body.encode())
            except InvalidSignature:
                raise Rejected("bad signature") from None
            verified = True
    if not verified:
        raise Rejected("no signature by the given key")
    origin, size, root64 = body.rstrip("\n").split("\n")
    if origin != "canary.ledger/v1/" + receipt["merchant_id"]:
        raise Rejected("wrong origin")
    size_n, root = int(size), base64.b64decode(root64)
    if (size_n, root.hex()) != (receipt["checkpoint"]["tree_size"], receipt["checkpoint"]["root"]):
        raise Rejected("receipt's size or root is not the signed one")
    return size_n, root


def _inclusion_root(leaf: bytes, index: int, size: int, proof: list[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        raise Rejected("leaf outside the tree")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise Rejected("proof too long")
        if fn & 1 or fn == sn:
            r = _node(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = _node(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise Rejected("proof too short")
    return r


def verify_receipt(receipt: dict[str, Any], public_key: bytes, raw: bytes | None = None) -> None:
    """Raises ``Rejected`` unless the receipt proves its event is in the merchant's signed log."""
    if receipt.get("format") != "canary-receipt/v1":
        raise Rejected("not a v1 receipt")
    size, root = _signed_checkpoint(receipt, public_key)
    event = receipt["event"]
    event_hash = bytes.fromhex(event["event_hash"])
    prev, chain = bytes.fromhex(event["prev_chain_hash"]), bytes.fromhex(event["chain_hash"])
    if _h(prev + event_hash) != chain:
        raise Rejected("chain link does not recompute")
    if event["seq"] == 1 and prev != _h(b"canary.ledger/v1/genesis\x00" + receipt["merchant_id"].encode()):
        raise Rejected("seq 1 does not start at the genesis")
    if event["leaf_index"] != event["seq"] - 1:
        raise Rejected("leaf index is not seq - 1")
    proof = [bytes.fromhex(p) for p in event["inclusion_proof"]]
    if _inclusion_root(_h(b"\x00" + event_hash), event["leaf_index"], size, proof) != root:
        raise Rejected("inclusion proof does not reach the signed root")
    if raw is not None and _h(raw) != event_hash:
        raise Rejected("payload is not the sealed one")
