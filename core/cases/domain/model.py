"""Fox's vocabulary: an alert as Fox receives it, severities, case states, queues and outcomes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class FoxError(Exception):
    """A request the caller can fix; the message is written for them (docs/mcp.md)."""

    user_facing = True


class InvalidAlertError(FoxError, ValueError):
    """An alert message that lacks what Fox needs (it is dead-lettered with this message)."""


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @classmethod
    def highest(cls, values: list[Severity]) -> Severity:
        return max(values, key=lambda s: s.rank) if values else cls.INFO


_RANK = {s: n for n, s in enumerate(Severity)}
SEVERITY_BY_VALUE: dict[str, Severity] = {s.value: s for s in Severity}  # Severity(v) without the enum call


class CaseState(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"

    @property
    def closed(self) -> bool:
        return self in (CaseState.RESOLVED, CaseState.DISMISSED)


class Outcome(StrEnum):
    CONFIRMED_FRAUD = "confirmed_fraud"
    TRAINING_ISSUE = "training_issue"
    FALSE_POSITIVE = "false_positive"
    UNACTIONABLE = "unactionable"


class CaseQueue(StrEnum):
    """Fraud cases are investigated; review cases are routine checks (cash-paid growers)."""

    FRAUD = "fraud"
    REVIEW = "review"


@dataclass(frozen=True, slots=True)
class Alert:
    """One message of ``canary:alerts``: a detection in alerting mode, with its subject.

    ``revision`` grows when Chirp updates a detection (a growing episode); a redelivered message
    carries the same revision, so (detection_id, revision) is the message's identity.
    ``withdrawn`` is why Chirp superseded the detection (a replay that reclassified its event, a
    Bubble rescore that no longer finds its episode), empty while it is live: a superseded detection
    that had been published is published once more, one revision later, saying so, and one found
    again is published live one revision after that (docs/fox.md, "Withdrawn detections").
    """

    detection_id: str
    rule_id: str
    family: str
    severity: Severity
    queue: str
    occurred_at: datetime
    summary: str = ""
    rule_bundle_key: str = ""
    employee_id: str = ""
    customer_id: str = ""
    location_id: str = ""
    station_id: str = ""
    drawer_session_id: str = ""
    revision: int = 0
    withdrawn: str = ""

    @property
    def message_key(self) -> str:
        return f"{self.detection_id}:{self.revision}"

    @classmethod
    def from_fields(cls, fields: Mapping[str, str]) -> Alert:
        """Parse a stream entry; anything malformed is an ``InvalidAlertError`` naming the field."""
        for name in ("detection_id", "rule_id", "severity", "occurred_at"):
            if not fields.get(name):
                raise InvalidAlertError(f"alert without {name}")
        severity = SEVERITY_BY_VALUE.get(fields["severity"])
        if severity is None:
            raise InvalidAlertError(f"alert with unknown severity {fields['severity']!r}")
        try:
            occurred = datetime.fromisoformat(fields["occurred_at"])
        except ValueError:
            raise InvalidAlertError("alert with an unreadable occurred_at") from None
        if occurred.tzinfo is None:
            raise InvalidAlertError("alert occurred_at has no time zone")
        revision = fields.get("revision") or "0"
        if not revision.isdigit():
            raise InvalidAlertError("alert revision must be a whole number")
        return cls(
            detection_id=fields["detection_id"],
            rule_id=fields["rule_id"],
            family=fields.get("family", ""),
            severity=severity,
            queue=fields.get("queue", "fraud"),
            occurred_at=occurred,
            summary=fields.get("summary", ""),
            rule_bundle_key=fields.get("bundle_key", ""),
            employee_id=fields.get("employee_id", ""),
            customer_id=fields.get("customer_id", ""),
            location_id=fields.get("location_id", ""),
            station_id=fields.get("station_id", ""),
            drawer_session_id=fields.get("drawer_session_id", ""),
            revision=int(revision),
            withdrawn=fields.get("withdrawn", ""),
        )
