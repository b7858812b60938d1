"""The idempotency key of one event on ``canary:detection``.

One parse of one sealed event may publish several detection events (a transaction and its
customer, say), so the key is (evidence seq, kind, entity id). ``processed_messages.message_key``
holds at most 200 characters; a longer key keeps its seq and a digest of the entity id, so two
different entities never share a key.
"""

from __future__ import annotations

import hashlib

from core.domain.parsing import DetectionEvent

MAX_KEY = 200


def message_key(event: DetectionEvent) -> str:
    key = f"{event.evidence_seq}:{event.kind}:{event.entity_id}"
    if len(key) <= MAX_KEY:
        return key
    digest = hashlib.sha256(event.entity_id.encode()).hexdigest()[:32]
    return f"{event.evidence_seq}:{event.kind[:40]}:#{digest}"
