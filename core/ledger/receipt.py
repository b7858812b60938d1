"""Evidence receipts: a self-contained JSON file that proves one sealed event (or one checkpoint) is in
a merchant's signed log, checkable offline with no database and no trust in Canary.

The format (``canary-receipt/v1``) is written down in docs/ledger.md so that anyone can write a
verifier; ``tests/support/independent_verifier.py`` is one that imports nothing of Canary. This
module is pure: ``build`` assembles a receipt from values the caller read, ``check`` and
``check_consistency`` verify receipts. A verifier must not take the server's word for the key it
checks against (the immudb CVE-2022-36111 lesson): ``check`` uses the key the caller supplies when
there is one, and says so when it fell back to the key written in the receipt itself.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.ledger import merkle
from core.ledger.chain import chain_link, genesis_hash
from core.ledger.checkpoint import ORIGIN_PREFIX, CheckpointError, load_public_key, open_checkpoint

FORMAT = "canary-receipt/v1"


class ReceiptError(ValueError):
    """A receipt that is not a v1 receipt at all (malformed JSON shape, wrong types)."""


@dataclass
class ReceiptCheck:
    """What a check established. ``ok`` only when every step passed; ``failures`` says which did not."""

    passed: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures and bool(self.passed)

    def expect(self, condition: bool, passed: str, failed: str) -> bool:
        (self.passed if condition else self.failures).append(passed if condition else failed)
        return condition


def build(
    *,
    merchant_id: str,
    checkpoint_note: str,
    tree_size: int,
    root: bytes,
    key_name: str,
    public_key: bytes,
    event: Mapping[str, Any] | None = None,
    consistency: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A receipt. ``event``: seq, event_hash, prev_chain_hash, chain_hash (bytes) and proof (list of
    bytes); ``consistency``: from_size, from_root (bytes), proof (list of bytes)."""
    receipt: dict[str, Any] = {
        "format": FORMAT,
        "merchant_id": merchant_id,
        "checkpoint": {
            "origin": ORIGIN_PREFIX + merchant_id,
            "tree_size": tree_size,
            "root": root.hex(),
            "note": checkpoint_note,
        },
        "key": {"name": key_name, "public_key": base64.b64encode(public_key).decode()},
    }
    if event is not None:
        receipt["event"] = {
            "seq": event["seq"],
            "leaf_index": event["seq"] - 1,
            "event_hash": event["event_hash"].hex(),
            "prev_chain_hash": event["prev_chain_hash"].hex(),
            "chain_hash": event["chain_hash"].hex(),
            "inclusion_proof": [p.hex() for p in event["proof"]],
        }
    if consistency is not None:
        receipt["consistency"] = {
            "from_size": consistency["from_size"],
            "from_root": consistency["from_root"].hex(),
            "proof": [p.hex() for p in consistency["proof"]],
        }
    return receipt


def check(
    receipt: Mapping[str, Any], *, raw: bytes | None = None, key: str | bytes | None = None
) -> ReceiptCheck:
    """Verify a receipt: the checkpoint's signature (against ``key`` if given), that it is this
    merchant's log, the event's chain link, its inclusion in the checkpoint, and (with ``raw``) that
    the payload bytes are the ones sealed."""
    result = ReceiptCheck()
    checkpoint = _checkpoint(receipt, key, result)
    event = receipt.get("event")
    if event is None:
        return result
    if not isinstance(event, Mapping):
        raise ReceiptError("event must be an object")
    seq, leaf_index = _int(event, "seq"), _int(event, "leaf_index")
    event_hash, prev, chain = (_hex(event, k) for k in ("event_hash", "prev_chain_hash", "chain_hash"))
    proof = _hex_list(event, "inclusion_proof")
    merchant_id = _str(receipt, "merchant_id")
    result.expect(
        chain_link(prev, event_hash) == chain,
        f"chain link: chain_hash = SHA-256(prev_chain_hash || event_hash) at seq {seq}",
        f"chain link at seq {seq} does not recompute: chain_hash != SHA-256(prev_chain_hash || event_hash)",
    )
    if seq == 1:
        result.expect(
            prev == genesis_hash(merchant_id),
            "seq 1 continues from this merchant's genesis hash",
            "seq 1 does not continue from this merchant's genesis hash",
        )
    result.expect(
        leaf_index == seq - 1, f"leaf index {leaf_index} = seq - 1", f"leaf index {leaf_index} is not seq - 1"
    )
    if checkpoint is not None:
        size, root = checkpoint
        result.expect(
            merkle.verify_inclusion(event_hash, leaf_index, size, proof, root),
            f"inclusion: leaf {leaf_index} is in the signed tree of size {size}",
            f"inclusion proof does not lead from leaf {leaf_index} to the signed root of size {size}",
        )
    if raw is not None:
        result.expect(
            hashlib.sha256(raw).digest() == event_hash,
            "payload: SHA-256 of the raw bytes is the sealed event hash",
            "payload: SHA-256 of the raw bytes is not the sealed event hash",
        )
    return result


def check_consistency(
    old: Mapping[str, Any], new: Mapping[str, Any], *, key: str | bytes | None = None
) -> ReceiptCheck:
    """Two receipts of the same log, the newer carrying a consistency proof from the older's size:
    both checkpoints verify, and the log only grew between them."""
    result = ReceiptCheck()
    older = _checkpoint(old, key, result)
    newer = _checkpoint(new, key, result)
    result.expect(
        _str(old, "merchant_id") == _str(new, "merchant_id"),
        "both checkpoints are of the same merchant's log",
        "the receipts are of different merchants' logs",
    )
    if older is None or newer is None:
        return result
    (old_size, old_root), (new_size, new_root) = older, newer
    if old_size > new_size:
        result.failures.append(f"the 'old' checkpoint ({old_size}) is larger than the 'new' one ({new_size})")
        return result
    if old_size == new_size:
        result.expect(old_root == new_root, "same size, same root", "same size but different roots: a fork")
        return result
    consistency = new.get("consistency")
    if not isinstance(consistency, Mapping):
        result.failures.append(
            f"the new receipt carries no consistency proof: export it with --consistency-from {old_size}"
        )
        return result
    from_size, from_root = _int(consistency, "from_size"), _hex(consistency, "from_root")
    if not result.expect(
        from_size == old_size and from_root == old_root,
        f"the new receipt's consistency proof starts at the old checkpoint ({old_size})",
        f"the new receipt's consistency proof starts at size {from_size}, not at the old checkpoint "
        f"({old_size}) with its root",
    ):
        return result
    result.expect(
        merkle.verify_consistency(old_size, new_size, old_root, new_root, _hex_list(consistency, "proof")),
        f"consistency: the tree of size {new_size} extends the tree of size {old_size}",
        f"consistency proof does not show the tree of size {new_size} extends the one of size {old_size}",
    )
    return result


def _checkpoint(
    receipt: Mapping[str, Any], key: str | bytes | None, result: ReceiptCheck
) -> tuple[int, bytes] | None:
    """The signed (size, root), after checking the signature and that the note says what the receipt
    says; ``None`` when the signature does not verify."""
    if not isinstance(receipt, Mapping) or receipt.get("format") != FORMAT:
        raise ReceiptError(f"not a {FORMAT} receipt (its 'format' field)")
    merchant_id = _str(receipt, "merchant_id")
    cp, key_info = receipt.get("checkpoint"), receipt.get("key")
    if not isinstance(cp, Mapping) or not isinstance(key_info, Mapping):
        raise ReceiptError("checkpoint and key must be objects")
    key_name = _str(key_info, "name")
    if key is None:
        result.warnings.append(
            "checked against the public key written in the receipt; pass --key with the merchant's "
            "published key, or a substituted key and note would pass too"
        )
        key = _str(key_info, "public_key")
    try:
        public = load_public_key(key)
    except ValueError as exc:
        raise ReceiptError(f"the public key is not usable: {exc}") from None
    try:
        signed = open_checkpoint(_str(cp, "note"), public, key_name, origin=ORIGIN_PREFIX + merchant_id)
    except CheckpointError as exc:
        result.failures.append(f"checkpoint signature: {exc}")
        return None
    result.passed.append(f"checkpoint of size {signed.size} is signed by {key_name!r} for {merchant_id}")
    size, root = _int(cp, "tree_size"), _hex(cp, "root")
    result.expect(
        (size, root) == (signed.size, signed.root),
        "the receipt's tree size and root are the signed ones",
        f"the receipt says size {size} and root {root.hex()[:16]}…, the signed note says "
        f"{signed.size} and {signed.root.hex()[:16]}…",
    )
    return signed.size, signed.root


def _str(obj: Mapping[str, Any], name: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str):
        raise ReceiptError(f"{name} must be a string")
    return value


def _int(obj: Mapping[str, Any], name: str) -> int:
    value = obj.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ReceiptError(f"{name} must be a non-negative integer")
    return value


def _hex(obj: Mapping[str, Any], name: str) -> bytes:
    try:
        value = bytes.fromhex(_str(obj, name))
    except ValueError:
        raise ReceiptError(f"{name} must be hex") from None
    if len(value) != merkle.HASH_SIZE:
        raise ReceiptError(f"{name} must be a {merkle.HASH_SIZE}-byte hash")
    return value


def _hex_list(obj: Mapping[str, Any], name: str) -> list[bytes]:
    values = obj.get(name)
    if not isinstance(values, Sequence) or isinstance(values, str):
        raise ReceiptError(f"{name} must be a list of hex hashes")
    return [_hex({name: v}, name) for v in values]


def decode_key(text: str) -> bytes:
    """A public key as given on the command line: base64 of the 32 raw bytes."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except binascii.Error:
        raise ReceiptError("the key must be base64 of a 32-byte Ed25519 public key") from None
    if len(raw) != 32:
        raise ReceiptError(f"the key must be 32 bytes, got {len(raw)}")
    return raw
