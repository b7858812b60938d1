"""The idempotency key of one event on ``canary:detection``.

One parse of one sealed event may publish several parsed events (a transaction and its
customer, say), so the key names the evidence seq, the kind and the entity id, and ends with a
digest of what the parse made of the event (its facts and time). A redelivery, or a replay whose
parse is unchanged, has the same key and changes nothing; a replay whose parser now reads the event
differently (a sale reclassified as a refund) has a new key, so the consumers apply it, as a
correction of what that seq produced before (docs/tsp-ops.md, "Replay safety"). Applying it drops
the keys of the entity's earlier parses (``positions.drop_earlier_parses``), so a replay back to an
earlier parse is a correction again rather than a duplicate. A retraction (a replay whose parse of
the seq no longer names this kind and entity) is one more parse of the same prefix, so it too drops
the earlier keys, and the entity coming back later is applied again.
``processed_messages.message_key`` holds at most 200 characters; a longer key keeps its seq and a
digest of the entity id, so two different entities never share a key.
"""

from __future__ import annotations

import hashlib
import json

from core.domain.parsing import ParsedEvent

MAX_KEY = 200
DIGEST = 12  # hex characters


def parse_digest(event: ParsedEvent) -> str:
    """12 hex characters that change whenever the parse of the event changes. A retraction (the seq
    no longer produces this entity) has one digest of its own, whatever it removed, so it is applied
    once however often a replay repeats it."""
    if event.retracted:
        return hashlib.sha256(b"retracted").hexdigest()[:DIGEST]
    occurred = event.occurred_at.isoformat() if event.occurred_at else ""
    body = json.dumps([occurred, event.facts], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()[:DIGEST]


def entity_prefix(event: ParsedEvent) -> str:
    """The key up to its parse digest: every parse of this (seq, kind, entity) shares it."""
    prefix = f"{event.evidence_seq}:{event.kind}:{event.entity_id}:"
    if len(prefix) + DIGEST <= MAX_KEY:
        return prefix
    entity = hashlib.sha256(event.entity_id.encode()).hexdigest()[:32]
    return f"{event.evidence_seq}:{event.kind[:40]}:#{entity}:"


def message_key(event: ParsedEvent) -> str:
    return entity_prefix(event) + parse_digest(event)
