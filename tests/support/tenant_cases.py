"""The tenant matrix's cases: how each MCP tool is called by merchant A aiming at merchant B's data.

``tests/integration/servers/test_tenant_matrix.py`` lists every tool of every server in
``servers/registry.py`` and calls each with A's token and the arguments below (which name B's ids);
the answer must hold nothing of B's, and B's data must be unchanged afterwards. **A tool without a
line here fails that test**, so a new tool gets one line, keyed ``"<server>.<tool>"``::

    "chirp.new_tool": lambda b: {"detection_id": b.detection_id},

``b`` is ``TenantB`` (B's ids: customers, refund, detection, allow-list entry, employee). A tool
with nothing of B's to name still gets a line with ordinary arguments (``lambda b: {}``): the test
then checks it lists or changes only A's rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TenantB:
    merchant_id: str
    tag: str  # in every id of B's shop: any answer that shows it leaked B's rows
    alice: str
    bob: str
    carol: str
    refund_id: str
    detection_id: str
    entry_id: str
    employee_id: str
    secret: str  # B's reasons (tuning, allow-list): text only B's rows hold
    event_id: str = ""  # the vendor event id of one of B's sealed events (the ledger's side)
    event_hash: str = ""  # its SHA-256, hex: any answer that shows it leaked B's ledger
    case_id: str = ""  # B's Fox case (bundling B's detection)
    device_id: str = ""  # B's register with a Bubble episode (its id carries the tag)
    store_id: str = ""  # B's store as Bubble scored it


Case = Callable[[TenantB], dict[str, Any]]
WHY = "tenant matrix: A acting on B's ids"

CASES: dict[str, Case] = {
    # canary-identity
    "identity.lookup_customer": lambda b: {"customer": b.alice},
    "identity.lookup_customer_by_card": lambda b: {"fingerprint": "fp-shared"},
    "identity.customer_metrics": lambda b: {"customer": b.alice},
    "identity.customer_history": lambda b: {"customer": b.carol},
    "identity.customer_segments": lambda b: {"customer": b.bob, "members_of": "lapsed"},
    "identity.customer_complaints": lambda b: {"customer": b.alice},
    # canary-chirp
    "chirp.list_rules": lambda b: {},
    "chirp.get_rule": lambda b: {"rule_id": "Q-VR-03"},
    "chirp.substrate_scorecard": lambda b: {},
    "chirp.pin_catalog_version": lambda b: {"version": "1.0.0", "reason": WHY},
    "chirp.dry_run_rule": lambda b: {"rule_id": "Q-VR-03", "params": {"min_voids": 2}},
    "chirp.query_detections": lambda b: {"employee_id": b.employee_id, "include_suppressed": True},
    "chirp.get_detection_detail": lambda b: {"detection_id": b.detection_id},
    "chirp.promote_rule": lambda b: {
        "rule_id": "Q-VR-03",
        "mode": "observation",
        "reason": WHY,
        "force": True,
    },
    "chirp.preview_vertical_pack": lambda b: {"pack_id": "garden-center"},
    "chirp.apply_vertical_pack": lambda b: {"pack_id": "garden-center", "reason": WHY},
    "chirp.tune_rule_threshold": lambda b: {
        "rule_id": "Q-VR-03",
        "parameter": "min_voids",
        "value": 6,
        "reason": WHY,
    },
    "chirp.add_allow_list_entry": lambda b: {
        "rule_id": "Q-VR-03",
        "scope": {"employee": b.employee_id},
        "reason": WHY,
        "expires_in_days": 5,
    },
    "chirp.revoke_allow_list_entry": lambda b: {"entry_id": b.entry_id, "reason": WHY},
    "chirp.audit_log": lambda b: {"rule_id": "Q-VR-03"},
    # canary-tsp-ops (A's token is an ops token: replay_event runs, on A's own event only)
    "tsp-ops.pipeline_health": lambda b: {},
    "tsp-ops.ingestion_status": lambda b: {"source_event_id": b.event_id},
    "tsp-ops.list_parse_failures": lambda b: {"limit": 100},
    "tsp-ops.verify_chain": lambda b: {"from_seq": 1},
    "tsp-ops.get_inclusion_proof": lambda b: {"seq": 3},
    "tsp-ops.get_consistency_proof": lambda b: {"old_size": 2},
    "tsp-ops.anchor_status": lambda b: {},
    "tsp-ops.replay_event": lambda b: {"seq": 3},
    # canary-bubble (all read-only: A names B's device and store)
    "bubble.get_device_baseline": lambda b: {"device_id": b.device_id},
    "bubble.query_device_anomalies": lambda b: {"device_id": b.device_id},
    "bubble.store_pattern": lambda b: {"store_id": b.store_id},
    "bubble.baseline_history": lambda b: {"device_id": b.device_id},
    # canary-fox
    "fox.list_cases": lambda b: {"employee_id": b.employee_id},
    "fox.get_case": lambda b: {"case_id": b.case_id},
    "fox.top_cases": lambda b: {},
    "fox.rule_outcome_stats": lambda b: {"rule_id": "Q-VR-03"},
    "fox.case_digest": lambda b: {"period": "weekly"},
    "fox.start_investigation": lambda b: {"case_id": b.case_id, "reason": WHY},
    "fox.add_case_note": lambda b: {"case_id": b.case_id, "body": WHY},
    "fox.attach_evidence": lambda b: {"case_id": b.case_id, "kind": "detection", "ref": b.detection_id},
    "fox.resolve_case": lambda b: {"case_id": b.case_id, "outcome": "false_positive", "reason": WHY},
    "fox.dismiss_case": lambda b: {"case_id": b.case_id, "outcome": "false_positive", "reason": WHY},
    "fox.reopen_case": lambda b: {"case_id": b.case_id, "reason": WHY},
    "fox.set_bundling_policy": lambda b: {"family": "void_return", "by": "store", "window_hours": 48},
}
