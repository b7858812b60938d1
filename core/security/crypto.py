"""Envelope encryption and keyed hashing. Pure functions over bytes; keys come from the keyring.

- Per-merchant keys are wrapped with the master key (AES-256-GCM, AAD binds merchant and purpose, so
  a wrapped key copied to another merchant or purpose does not open).
- Raw payloads are sealed with the merchant's data key; the AAD binds merchant and inbox id, so a
  ciphertext moved to another row fails to decrypt rather than reading as someone else's event.
- Contact details become HMAC-SHA256 under the merchant's ``pii`` key: a bare hash of a phone number
  is brute-forced in minutes, a keyed one is not.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12


class CryptoError(Exception):
    """A ciphertext or wrapped key did not authenticate (wrong key, wrong row, or tampered)."""


def new_key() -> bytes:
    return os.urandom(KEY_BYTES)


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, blob: bytes, aad: bytes) -> bytes:
    if len(blob) < NONCE_BYTES + 16:
        raise CryptoError("ciphertext too short")
    try:
        return AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
    except InvalidTag:
        raise CryptoError("ciphertext does not authenticate") from None


def wrap_key(master: bytes, key: bytes, *, merchant_id: str, purpose: str) -> bytes:
    return _seal(master, key, f"canary/key/v1|{merchant_id}|{purpose}".encode())


def unwrap_key(master: bytes, wrapped: bytes, *, merchant_id: str, purpose: str) -> bytes:
    return _open(master, wrapped, f"canary/key/v1|{merchant_id}|{purpose}".encode())


def encrypt_payload(data_key: bytes, plaintext: bytes, *, merchant_id: str, inbox_id: str) -> bytes:
    return _seal(data_key, plaintext, f"canary/payload/v1|{merchant_id}|{inbox_id}".encode())


def decrypt_payload(data_key: bytes, blob: bytes, *, merchant_id: str, inbox_id: str) -> bytes:
    return _open(data_key, blob, f"canary/payload/v1|{merchant_id}|{inbox_id}".encode())


_NON_DIGITS = re.compile(r"[^0-9]")


def normalise_contact(kind: str, value: str) -> str:
    """Phone numbers compare as digits only (E.164 without '+'), emails case-folded and trimmed."""
    if kind == "phone":
        return _NON_DIGITS.sub("", value)
    if kind == "email":
        return value.strip().casefold()
    raise ValueError(f"unknown contact kind {kind!r}")


def contact_hmac(pii_key: bytes, kind: str, value: str) -> str:
    message = f"{kind}:{normalise_contact(kind, value)}".encode()
    return hmac.new(pii_key, message, hashlib.sha256).hexdigest()
