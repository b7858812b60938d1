"""What the canary-fox tools share: argument types and the caller as an audit actor."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from core.auth.principal import Principal

CaseId = Annotated[
    str, Field(min_length=1, max_length=64, description="A case_id from list_cases or top_cases.")
]
Reason = Annotated[
    str,
    Field(
        min_length=3,
        max_length=1_000,
        description="Why, in plain words (3 to 1,000 characters). Stored in the case's audit trail "
        "next to your identity.",
    ),
]
OutcomeArg = Annotated[
    Literal["confirmed_fraud", "training_issue", "false_positive", "unactionable"],
    Field(
        description="What the investigation concluded: confirmed_fraud, training_issue (a mistake to "
        "coach), false_positive (nothing wrong) or unactionable (cannot be decided)."
    ),
]
StateArg = Literal["open", "in_progress", "resolved", "dismissed"]
SeverityArg = Literal["info", "low", "medium", "high", "critical"]
QueueArg = Literal["fraud", "review"]


def actor(who: Principal) -> str:
    """The audit trail's actor: the caller's role and token (or transport, for a local stdio server)."""
    return f"{who.role}:{who.token_id or who.transport}"
