"""The process's checkpoint signing key (Ed25519), from settings or, embedded, from var/."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from core.ledger.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint


def origin_for(merchant_id: str) -> str:
    return f"canary.ledger/v1/{merchant_id}"


@dataclass(frozen=True)
class CheckpointSigner:
    private_key: Ed25519PrivateKey
    key_name: str

    @classmethod
    def from_seed(cls, seed: bytes, key_name: str) -> CheckpointSigner:
        return cls(Ed25519PrivateKey.from_private_bytes(seed), key_name)

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    def public_key_b64(self) -> str:
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        return base64.b64encode(self.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()

    def sign(self, merchant_id: str, size: int, root: bytes) -> str:
        return sign_checkpoint(
            Checkpoint(origin_for(merchant_id), size, root), self.private_key, self.key_name
        )

    def open(self, note: str) -> Checkpoint:
        return open_checkpoint(note, self.public_key, self.key_name)
