"""Signed checkpoints: C2SP tlog-checkpoint bodies in C2SP signed-note envelopes, signed with Ed25519.

A checkpoint note looks like this (every line ends in U+000A; the dash is an em dash, U+2014)::

    canary.ledger/v1/<merchant_id>
    <tree size, decimal, no leading zeros>
    <base64 RFC 6962 root>

    — <key name> <base64(key id (4 bytes) || Ed25519 signature (64 bytes))>

The signature covers the note text: the three lines including the final newline, not the blank
separator line. ``key id = SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4]``, so the
format is byte-compatible with Go's ``sumdb/note`` and any C2SP witness — a merchant can check our
checkpoints with tooling we did not write. Per the spec, signatures by other keys are ignored, so a
witness may cosign the same note.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from core.ledger.merkle import HASH_SIZE

ORIGIN_PREFIX = "canary.ledger/v1/"
ED25519_TYPE = b"\x01"
_DASH = "\u2014 "
# A checkpoint plus a handful of cosignatures is well under a kilobyte; the cap keeps a hostile note
# from costing more than it should while leaving room for the 16 signatures the spec requires.
_MAX_NOTE_CHARS = 64 * 1024
# Sizes are uint64 in every tlog implementation; 20 digits bounds int() on hostile input.
_SIZE_RE = re.compile(r"0|[1-9][0-9]{0,19}")


class CheckpointError(ValueError):
    """A note that is malformed, unsigned by the expected key, or carries a bad signature."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def __post_init__(self) -> None:
        if not self.origin or any(c.isspace() or c < " " for c in self.origin):
            raise CheckpointError(f"origin {self.origin!r} must be non-empty, without spaces or controls")
        if self.size < 0:
            raise CheckpointError("tree size cannot be negative")
        if len(self.root) != HASH_SIZE:
            raise CheckpointError(f"root must be {HASH_SIZE} bytes")

    def text(self) -> str:
        """The signed body: origin, size and base64 root, each on its own line."""
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"


def merchant_origin(merchant_id: str) -> str:
    return ORIGIN_PREFIX + merchant_id


def generate_signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def _raw_key(material: bytes | str, what: str) -> bytes:
    if isinstance(material, str):
        try:
            material = base64.b64decode(material, validate=True)
        except binascii.Error as exc:
            raise ValueError(f"{what} is not valid base64") from exc
    if len(material) != 32:
        raise ValueError(f"{what} must be 32 raw bytes, got {len(material)}")
    return material


def load_private_key(material: bytes | str) -> Ed25519PrivateKey:
    """A signing key from its 32-byte RFC 8032 seed, raw or base64 (as kept in settings)."""
    return Ed25519PrivateKey.from_private_bytes(_raw_key(material, "an Ed25519 private key"))


def load_public_key(material: bytes | str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(_raw_key(material, "an Ed25519 public key"))


def private_key_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def public_key_bytes(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _check_key_name(key_name: str) -> None:
    if not key_name or any(c.isspace() or c == "+" or c < " " for c in key_name):
        raise CheckpointError(f"key name {key_name!r} must be non-empty, without spaces, controls or '+'")


def key_id(key_name: str, public_key: Ed25519PublicKey | Ed25519PrivateKey) -> bytes:
    _check_key_name(key_name)
    material = key_name.encode() + b"\n" + ED25519_TYPE + public_key_bytes(public_key)
    return hashlib.sha256(material).digest()[:4]


def _utf8(text: str) -> bytes:
    try:
        return text.encode()
    except UnicodeEncodeError as exc:
        raise CheckpointError("note is not valid UTF-8") from exc


def sign_note(text: str, private_key: Ed25519PrivateKey, key_name: str) -> str:
    if not text.endswith("\n") or any(c < " " and c != "\n" for c in text):
        raise CheckpointError("note text must end in a newline and contain no other control characters")
    signature = key_id(key_name, private_key) + private_key.sign(_utf8(text))
    return f"{text}\n{_DASH}{key_name} {base64.b64encode(signature).decode()}\n"


def open_note(note: str, public_key: Ed25519PublicKey | bytes, key_name: str) -> str:
    """The note text, once a signature by (key_name, public_key) verifies. Signatures by other keys
    are skipped, as the spec requires; a bad signature by *our* key rejects the whole note."""
    if isinstance(public_key, bytes):
        public_key = load_public_key(public_key)
    if len(note) > _MAX_NOTE_CHARS:
        raise CheckpointError("note is too large")
    if any(c < " " and c != "\n" for c in note):
        raise CheckpointError("note contains control characters")
    _utf8(note)
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise CheckpointError("note has no blank line before its signatures")
    text, signature_block = note[: split + 1], note[split + 2 :]
    wanted_id = key_id(key_name, public_key)
    verified = False
    for line in signature_block[:-1].split("\n"):
        if not line.startswith(_DASH) or line.count(" ") != 2:
            raise CheckpointError(f"malformed signature line {line!r}")
        name, encoded = line[len(_DASH) :].split(" ")
        try:
            blob = base64.b64decode(encoded, validate=True)
        except binascii.Error as exc:
            raise CheckpointError(f"signature by {name!r} is not valid base64") from exc
        if len(blob) < 5:
            raise CheckpointError(f"signature by {name!r} is too short")
        if name != key_name or blob[:4] != wanted_id:
            continue
        try:
            public_key.verify(blob[4:], text.encode())
        except InvalidSignature as exc:
            raise CheckpointError(f"signature by {key_name!r} does not verify") from exc
        verified = True
    if not verified:
        raise CheckpointError(f"note is not signed by key {key_name!r}")
    return text


def sign_checkpoint(checkpoint: Checkpoint, private_key: Ed25519PrivateKey, key_name: str) -> str:
    return sign_note(checkpoint.text(), private_key, key_name)


def open_checkpoint(
    note: str, public_key: Ed25519PublicKey | bytes, key_name: str, *, origin: str | None = None
) -> Checkpoint:
    """Verify the signature, then parse the body. Give ``origin`` to also pin which log it is from."""
    lines = open_note(note, public_key, key_name)[:-1].split("\n")
    if len(lines) != 3:
        # Extension lines are legal C2SP but we never write them; accepting signed lines we then
        # drop would let a note say more than the Checkpoint we return.
        raise CheckpointError(f"checkpoint body has {len(lines)} lines, expected 3")
    found_origin, size_text, root_text = lines
    if not _SIZE_RE.fullmatch(size_text):
        raise CheckpointError(f"tree size {size_text!r} is not a canonical decimal")
    try:
        root = base64.b64decode(root_text, validate=True)
    except binascii.Error as exc:
        raise CheckpointError("root is not valid base64") from exc
    if base64.b64encode(root).decode() != root_text:
        raise CheckpointError("root is not canonical base64")
    if origin is not None and found_origin != origin:
        raise CheckpointError(f"checkpoint is for origin {found_origin!r}, expected {origin!r}")
    return Checkpoint(origin=found_origin, size=int(size_text), root=root)
