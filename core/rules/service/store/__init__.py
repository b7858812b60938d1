"""Chirp's storage adapter: every SQL statement Q runs, over a caller's tenant session.

The kernel (engine and rules) never sees a session; the consumer and the use cases call these
functions inside ``Database.tenant(merchant_id)`` so RLS binds each one, and they filter on
``merchant_id`` themselves too (the SQLite path has no RLS). One module per kind of row:
``ledger`` (the event journal), ``state`` (rule state slices, reference rows),
``config`` (modes, parameters, allow-lists, pins, packs), ``audit`` and ``detections``.
"""

from __future__ import annotations

from core.rules.service.store.audit import audit, audit_page, log_expired_entries
from core.rules.service.store.config import (
    allow_list_entries,
    allow_list_entry,
    applied_packs,
    catalog_pin,
    entry_of,
    load_config,
    merchant,
    record_pack_application,
    rule_config,
    save_allow_list_entry,
    save_catalog_pin,
    write_rule_config,
)
from core.rules.service.store.corrections import (
    REPLAYED,
    WITHDRAWN,
    corrected,
    replayed,
    supersede,
    superseded,
    unjournal,
    withdraw,
)
from core.rules.service.store.detections import (
    dashboard_tally,
    detection,
    detection_page,
    detection_tally,
    mark_published,
    outcomes,
    pending_alerts,
    save_detection,
    superseded_alert_state,
    write_detections,
)
from core.rules.service.store.ledger import CONSUMER, journal, journal_span, journalled, load_journal
from core.rules.service.store.sql import CHUNK, new_id, ordered_id
from core.rules.service.store.state import (
    load_slices,
    preload_reference,
    reference_fields,
    save_state,
    state_versions,
    substrate_state,
)

__all__ = [
    "CHUNK",
    "CONSUMER",
    "REPLAYED",
    "WITHDRAWN",
    "allow_list_entries",
    "allow_list_entry",
    "applied_packs",
    "audit",
    "audit_page",
    "catalog_pin",
    "corrected",
    "dashboard_tally",
    "detection",
    "detection_page",
    "detection_tally",
    "entry_of",
    "journal",
    "journal_span",
    "journalled",
    "load_config",
    "load_journal",
    "load_slices",
    "log_expired_entries",
    "mark_published",
    "merchant",
    "new_id",
    "ordered_id",
    "outcomes",
    "pending_alerts",
    "preload_reference",
    "record_pack_application",
    "reference_fields",
    "replayed",
    "rule_config",
    "save_allow_list_entry",
    "save_catalog_pin",
    "save_detection",
    "save_state",
    "state_versions",
    "substrate_state",
    "supersede",
    "superseded",
    "superseded_alert_state",
    "unjournal",
    "withdraw",
    "write_detections",
    "write_rule_config",
]
