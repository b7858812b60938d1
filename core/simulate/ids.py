"""Deterministic randomness and identifiers for the simulator.

Two rules keep a world reproducible byte for byte:

- **No shared random stream.** Every part of the world draws from its own ``random.Random`` seeded
  with a string naming it (``derive(seed, "trade", "S1", "2026-03-04")``). Python seeds a ``Random``
  from a string through SHA-512, so the stream does not depend on ``PYTHONHASHSEED``, on the order
  in which parts are generated, or on how many numbers another part drew.
- **Ids are hashes of stable keys.** A vendor id (a Square payment id, a Counterpoint DOC_GUID) is a
  function of the seed, the id's kind and the owning object's key, never of a counter that moves
  when something else is generated first. Labels can therefore name ids before any file is written.
"""

from __future__ import annotations

import hashlib
import math
import random
import uuid

_UPPER = "ABCDEFGHJKMNPQRSTVWXYZ0123456789"  # Square's location/customer ids: no I, L, O, U
_MIXED = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_URLSAFE = _MIXED + "-_"


def derive(seed: int, *parts: object) -> random.Random:
    """A private random stream for one named part of the world."""
    return random.Random("|".join([str(seed), *(str(part) for part in parts)]))


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method, exact for the small means of hourly retail traffic; a normal approximation
    above 30, where Knuth's product underflows and the approximation is already close."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, mean**0.5)))
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


class Ids:
    """Identifier factory for one world. ``kind`` separates id spaces (a payment and an order made
    for the same ticket key differ); ``key`` is the stable key of the object the id belongs to."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def digest(self, kind: str, key: str) -> bytes:
        return hashlib.sha256(f"{self.seed}|{kind}|{key}".encode()).digest()

    def _encode(self, kind: str, key: str, alphabet: str, length: int) -> str:
        number = int.from_bytes(self.digest(kind, key) + self.digest(kind + "+", key), "big")
        chars = []
        for _ in range(length):
            number, index = divmod(number, len(alphabet))
            chars.append(alphabet[index])
        return "".join(chars)

    def upper(self, kind: str, key: str, length: int = 13) -> str:
        """Square location, merchant and customer ids: upper-case letters and digits."""
        return self._encode(kind, key, _UPPER, length)

    def mixed(self, kind: str, key: str, length: int = 29) -> str:
        """Square payment and order ids: mixed-case letters and digits."""
        return self._encode(kind, key, _MIXED, length)

    def urlsafe(self, kind: str, key: str, length: int) -> str:
        """Team member ids and card fingerprints: base64url characters."""
        return self._encode(kind, key, _URLSAFE, length)

    def uuid(self, kind: str, key: str) -> str:
        """A version-4 UUID in canonical lower-case form (Square event ids)."""
        return str(uuid.UUID(bytes=self.digest(kind, key)[:16], version=4))

    def hex32(self, kind: str, key: str) -> str:
        """32 lower-case hex digits (Counterpoint DOC_GUID, LIN_GUID)."""
        return self.digest(kind, key).hex()[:32]

    def number(self, kind: str, key: str, digits: int) -> int:
        """A positive integer of exactly ``digits`` digits (Counterpoint DOC_ID)."""
        low: int = 10 ** (digits - 1)
        return low + int.from_bytes(self.digest(kind, key)[:8], "big") % (9 * low)
