"""Typed results of the case service: what the canary-fox MCP tools return.

Ids pass verbatim (``Id``); titles, summaries, notes and reasons are text people or tills typed, so
they are plain ``str`` and the server layer cleans them (servers/common/sanitise.py).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from core.text import Id, OurText


class Result(BaseModel):
    model_config = ConfigDict(frozen=True)


class CaseSummary(Result):
    case_id: Id
    title: str = Field(description="What the case is about: the rule family and the subject it bundles.")
    queue: str = Field(description="fraud (investigate) or review (a routine check, e.g. cash-paid growers).")
    state: str = Field(description="open, in_progress, resolved or dismissed.")
    severity: str = Field(description="After escalation: info, low, medium, high or critical.")
    family: str
    detections: int = Field(description="How many live detections the case holds.")
    withdrawn: int = Field(
        default=0,
        description="How many of its detections Chirp withdrew (superseded); they count for nothing. "
        "A case with detections 0 and withdrawn > 0 has nothing left to investigate.",
    )
    location_id: Id = ""
    employee_id: Id = ""
    assignee: str | None = None
    outcome: str | None = Field(
        default=None, description="confirmed_fraud, training_issue, false_positive or unactionable."
    )
    first_at: datetime = Field(description="When the case's first detection happened (UTC).")
    last_at: datetime = Field(description="When its latest detection happened (UTC).")
    opened_at: datetime
    closed_at: datetime | None = None


class CasePage(Result):
    items: list[CaseSummary]
    next_cursor: Id | None = None


class CaseDetection(Result):
    detection_id: Id
    rule_id: Id
    severity: str
    occurred_at: datetime
    summary: str
    employee_id: Id = ""
    drawer_session_id: Id = ""
    withdrawn: str = Field(default="", description="Why Chirp withdrew it (superseded); empty while live.")


class EscalationView(Result):
    rule: OurText
    from_severity: str
    to_severity: str
    reason: OurText


class TransitionView(Result):
    action: str
    from_state: str
    to_state: str
    actor: str
    reason: str
    outcome: str | None = None
    assignee: str | None = None
    at: datetime


class NoteView(Result):
    note_id: Id
    author: str
    body: str
    at: datetime


class LedgerReceipt(Result):
    """Proof that the evidence record is in the signed ledger (RFC 6962 inclusion)."""

    seq: int = Field(description="Chain position of the sealed event the evidence came from.")
    leaf_index: int
    tree_size: int
    event_hash: Id
    chain_hash: Id
    proof: list[Id]
    root: Id
    checkpoint_note: OurText = Field(description="The signed checkpoint the proof verifies against.")


class EvidenceView(Result):
    kind: str = Field(description="detection, transaction or document.")
    ref: Id
    attached_by: str
    note: str
    at: datetime
    evidence_seq: int | None = None
    receipt: LedgerReceipt | None = None
    receipt_status: OurText = Field(description="Why there is no receipt, or 'verified by inclusion proof'.")


class CaseDetail(Result):
    case: CaseSummary
    bundle_key: Id
    basis: str = Field(description="What the bundle key was built from, after any fallback.")
    window_hours: int
    base_severity: str = Field(description="The highest severity of the case's detections.")
    escalations: list[EscalationView]
    detections: list[CaseDetection]
    transitions: list[TransitionView]
    notes: list[NoteView]
    evidence: list[EvidenceView]


class TransitionResult(Result):
    case: CaseSummary
    transition: TransitionView


class RuleOutcomeStats(Result):
    rule_id: Id
    hits: int = Field(description="Alerts Fox received for the rule in the window.")
    cases: int = Field(description="Distinct cases holding the rule's detections.")
    outcomes: dict[str, int] = Field(description="Outcome counts of its detections in closed cases.")
    false_positive_rate: float | None = Field(description="false positives / outcomes; null without any.")
    precision: float | None = Field(
        description="confirmed fraud / (confirmed fraud + false positives); null without either."
    )


class RuleOutcomeReport(Result):
    start: datetime
    end: datetime
    rules: list[RuleOutcomeStats]


class TopCases(Result):
    items: list[CaseSummary]


class PatternCount(Result):
    rule_id: Id
    detections: int


class StoreOpenCases(Result):
    location_id: Id
    open_cases: int
    highest: str
    top_case_ids: list[Id]


class CaseDigestView(Result):
    period: str
    start: datetime
    end: datetime
    opened: int
    closed: int
    confirmed_fraud_rate: float | None
    top_patterns: list[PatternCount]
    open_by_store: list[StoreOpenCases]


class CaseTotals(Result):
    """Cases opened and closed in [start, end), and the confirmed-fraud rate of those closed."""

    start: datetime
    end: datetime
    opened: int
    closed: int
    confirmed_fraud: int
    confirmed_fraud_rate: float | None


class BundlingPolicyView(Result):
    family: Id
    by: str
    window_hours: int
    source: str = Field(description="tenant (set with set_bundling_policy) or default.")
    updated_by: str | None = None
    updated_at: datetime | None = None
