"""What the canary-chirp tools share: argument types, the caller as an audit actor, rule-id checks.

Times are ISO 8601 with a zone (UTC is the house zone) because detections and audit entries are
stored in UTC; a naive time would be read in an unknown zone, so it is refused at the schema.
"""

from __future__ import annotations

from typing import Annotated

from fastmcp.exceptions import ToolError
from pydantic import AwareDatetime, Field

from core.auth.principal import Principal
from servers.chirp.deps import ChirpDeps

# A rule parameter's value: numbers (money in cents), flags, choices, lists of strings (tiers, codes).
ParamValue = int | float | bool | str | list[str]
RuleId = Annotated[
    str,
    Field(
        min_length=3,
        max_length=32,
        description="A catalog rule id, e.g. 'Q-VR-03' or 'C-005'; list_rules lists every id.",
    ),
]
Reason = Annotated[
    str,
    Field(
        min_length=8,
        max_length=500,
        description="Why you make this change, in plain words (8 to 500 characters). It is stored in "
        "the audit log next to your identity and the before/after values.",
    ),
]
Since = Annotated[
    AwareDatetime | None,
    Field(
        default=None,
        description="Only from this time on (inclusive), ISO 8601 with a zone, e.g. "
        "2026-05-01T00:00:00Z. Omit for no lower bound.",
    ),
]
Until = Annotated[
    AwareDatetime | None,
    Field(
        default=None,
        description="Only before this time (exclusive), ISO 8601 with a zone. Omit for no upper bound.",
    ),
]


def actor(who: Principal) -> str:
    """The audit log's actor: the caller's role and token (or transport, for a local stdio server)."""
    return f"{who.role}:{who.token_id or who.transport}"


def known_rule(deps: ChirpDeps, rule_id: str) -> str:
    """``rule_id`` if the catalog has it; otherwise an error that tells the model where ids come from."""
    if rule_id not in deps.chirp_service.catalog.rules:
        raise ToolError(
            f"no rule {rule_id!r} in the Chirp catalog: call list_rules for the valid ids "
            "(they look like Q-VR-03 or C-005)"
        )
    return rule_id
