"""The per-merchant hash chain over sealed events, and a verifier that walks every link.

Byte layout (version 1; all hashes SHA-256, 32 bytes, concatenated with no separators or lengths)::

    genesis(merchant)  = SHA-256(b"canary.ledger/v1/genesis" || 0x00 || UTF-8(merchant_id))
    event_hash         = SHA-256(raw request body, exactly as received)
    chain_hash(seq=1)  = SHA-256(genesis(merchant) || event_hash(1))
    chain_hash(seq=k)  = SHA-256(chain_hash(k-1)  || event_hash(k))

Each stored link is ``(seq, event_hash, prev_chain_hash, chain_hash)`` with seq = 1, 2, 3, … The
genesis is per merchant so one merchant's chain can never be passed off as another's; the 0x00 ends
the tag so no merchant id can extend it into a different tag. The inputs to a link are a fixed 64
bytes, so length extension has nothing to extend.

The chain orders events and makes any edit, deletion, insertion or reordering visible at its
position. It cannot show that links were cut off the *end*: compare the head with the latest signed
checkpoint for that. The writer guarantees linearity by reading the head under a per-merchant
transaction lock (see docs/design.md, pipeline); this module only checks the result.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

GENESIS_TAG = b"canary.ledger/v1/genesis\x00"
_HASH_SIZE = 32


def genesis_hash(merchant_id: str) -> bytes:
    return hashlib.sha256(GENESIS_TAG + merchant_id.encode()).digest()


def event_hash(raw: bytes) -> bytes:
    return hashlib.sha256(raw).digest()


def chain_link(prev: bytes, event_hash: bytes) -> bytes:
    if len(prev) != _HASH_SIZE or len(event_hash) != _HASH_SIZE:
        raise ValueError(f"chain inputs must be {_HASH_SIZE}-byte hashes")
    return hashlib.sha256(prev + event_hash).digest()


@dataclass(frozen=True)
class ChainLink:
    seq: int
    event_hash: bytes
    prev_chain_hash: bytes
    chain_hash: bytes


class ChainFault(StrEnum):
    MISSING = "missing"  # a seq was skipped: a link was deleted
    REORDERED = "reordered"  # links appear out of seq order
    INSERTED = "inserted"  # a link that the chain does not pass through
    BAD_PREV = "bad_prev"  # prev_chain_hash is not the previous link's chain hash
    BAD_CHAIN_HASH = "bad_chain_hash"  # chain_hash does not recompute: an edited event or chain hash
    MALFORMED = "malformed"  # a hash field is not 32 bytes


@dataclass(frozen=True)
class ChainReport:
    """The outcome of a walk. ``checked`` links verified; ``head`` is the last verified chain hash
    (the genesis if none). On failure, ``position`` is the 0-based index of the first bad link in
    the walk and ``seq`` the seq the chain expected there."""

    merchant_id: str
    checked: int
    head: bytes
    fault: ChainFault | None = None
    position: int | None = None
    seq: int | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.fault is None

    @property
    def first_bad_seq(self) -> int | None:
        return self.seq

    @property
    def reason(self) -> str:
        """One line for an operator, e.g. ``missing: seq 4 missing``; empty when the chain is ok."""
        return f"{self.fault}: {self.detail}" if self.fault else ""


def verify_chain(
    merchant_id: str, links: Iterable[ChainLink], *, trusted: tuple[int, bytes] | None = None
) -> ChainReport:
    """Walk every link, in the order given, and stop at the first fault.

    ``trusted`` = (seq, chain_hash) of a link already verified, to resume from it instead of from
    genesis; the links must then start at seq + 1. ``links`` may be a lazy cursor: the walk keeps only
    the previous link and peeks one ahead, which is enough to tell a reorder from a deletion and to
    say which of two links that continue from the same hash is the intruder.
    """
    expected_seq, head = (trusted[0] + 1, trusted[1]) if trusted else (1, genesis_hash(merchant_id))
    previous: ChainLink | None = None
    items = iter(links)
    link = next(items, None)
    position = 0

    def fail(fault: ChainFault, at: int, seq: int, detail: str, head_then: bytes) -> ChainReport:
        return ChainReport(merchant_id, at, head_then, fault, at, seq, detail)

    while link is not None:
        upcoming = next(items, None)
        if not all(len(h) == _HASH_SIZE for h in (link.event_hash, link.prev_chain_hash, link.chain_hash)):
            return fail(ChainFault.MALFORMED, position, expected_seq, "a hash field is not 32 bytes", head)
        if previous is not None and link.prev_chain_hash == previous.prev_chain_hash:
            # Two consecutive links continue from the same hash: the chain forks, and one of them is
            # not in it. Only when the next link continues from the earlier one is this one the
            # intruder; otherwise (including at the tail, where nothing can tell) blame the fork point.
            if upcoming is not None and upcoming.prev_chain_hash == previous.chain_hash:
                detail = f"link at seq {link.seq} forks off the chain; the next link skips it"
                return fail(ChainFault.INSERTED, position, expected_seq, detail, head)
            detail = (
                f"link at seq {previous.seq} forks off the chain; the link after it does not continue from it"
            )
            return fail(ChainFault.INSERTED, position - 1, expected_seq - 1, detail, link.prev_chain_hash)
        if link.seq != expected_seq:
            if link.seq > expected_seq and not (upcoming is not None and upcoming.seq == expected_seq):
                gap = f"{expected_seq}" if link.seq == expected_seq + 1 else f"{expected_seq}..{link.seq - 1}"
                fault, detail = ChainFault.MISSING, f"seq {gap} missing"
            else:
                fault, detail = ChainFault.REORDERED, f"found seq {link.seq} where seq {expected_seq} belongs"
            return fail(fault, position, expected_seq, detail, head)
        if link.prev_chain_hash != head:
            detail = f"seq {link.seq} does not continue from the chain hash of seq {expected_seq - 1}"
            return fail(ChainFault.BAD_PREV, position, expected_seq, detail, head)
        if chain_link(link.prev_chain_hash, link.event_hash) != link.chain_hash:
            detail = f"chain hash of seq {link.seq} does not recompute from its prev and event hash"
            return fail(ChainFault.BAD_CHAIN_HASH, position, expected_seq, detail, head)
        previous, head, expected_seq = link, link.chain_hash, expected_seq + 1
        link, position = upcoming, position + 1
    return ChainReport(merchant_id, position, head)
