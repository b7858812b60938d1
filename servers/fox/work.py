"""Working a case: investigate, note, attach evidence, resolve, dismiss, reopen (scope cases:write).

Each change goes through the case state machine (an illegal one is refused with what is allowed) and
is audited with the caller as actor."""

from __future__ import annotations

from typing import Annotated, Literal

from fastmcp import Context, FastMCP
from pydantic import Field

from servers.common import DESTRUCTIVE, WRITE, safe
from servers.common.server import WRITE_TAG
from servers.fox.args import CaseId, OutcomeArg, Reason, actor
from servers.fox.deps import require
from servers.fox.results import EvidenceView, NoteView, TransitionResult

CASES = "cases:write"


def register(mcp: FastMCP) -> None:
    @mcp.tool(annotations=WRITE, tags={WRITE_TAG})
    def start_investigation(
        ctx: Context,
        case_id: CaseId,
        assignee: Annotated[
            str | None, Field(default=None, max_length=120, description="Who investigates; default: you.")
        ] = None,
        reason: Annotated[str, Field(max_length=1_000, description="Optional: why now.")] = "",
    ) -> TransitionResult:
        """Move an open case to in_progress and assign it (to you unless you name someone). Only an
        open case can be started. Audited. Needs the cases:write scope."""
        deps, who = require(ctx, CASES)
        deps.fox_service.check_visible(who.merchant_id, case_id, who.stores)
        result = deps.fox_service.start_investigation(
            who.merchant_id, case_id, actor=actor(who), assignee=assignee, reason=reason
        )
        return safe(result)

    @mcp.tool(annotations=WRITE, tags={WRITE_TAG})
    def add_case_note(
        ctx: Context,
        case_id: CaseId,
        body: Annotated[str, Field(min_length=1, max_length=4_000, description="The note's text.")],
    ) -> NoteView:
        """Add a note to a case in any state, signed with your identity. Needs the cases:write scope."""
        deps, who = require(ctx, CASES)
        deps.fox_service.check_visible(who.merchant_id, case_id, who.stores)
        return safe(deps.fox_service.add_note(who.merchant_id, case_id, body, actor=actor(who)))

    @mcp.tool(annotations=WRITE, tags={WRITE_TAG})
    def attach_evidence(
        ctx: Context,
        case_id: CaseId,
        kind: Annotated[
            Literal["detection", "transaction", "document"], Field(description="What ref names.")
        ],
        ref: Annotated[
            str,
            Field(
                min_length=1,
                max_length=300,
                description="Its id: a detection_id, a transaction id ('sq:order:…') or a document id.",
            ),
        ],
        note: Annotated[str, Field(max_length=1_000, description="Optional: why it matters.")] = "",
    ) -> EvidenceView:
        """Attach a detection, transaction or document to a case, with the ledger receipt of the sealed
        event it came from (chain position, inclusion proof, signed checkpoint). Attaching the same
        item twice keeps the first attachment. Needs the cases:write scope."""
        deps, who = require(ctx, CASES)
        deps.fox_service.check_visible(who.merchant_id, case_id, who.stores)
        view = deps.fox_service.attach_evidence(
            who.merchant_id, case_id, kind, ref, actor=actor(who), note=note
        )
        return safe(view)

    @mcp.tool(annotations=WRITE, tags={WRITE_TAG})
    def resolve_case(ctx: Context, case_id: CaseId, outcome: OutcomeArg, reason: Reason) -> TransitionResult:
        """Close an in-progress case with its outcome (confirmed_fraud, training_issue, false_positive,
        unactionable) and a reason. The outcome is recorded on each of its detections: it feeds
        rule_outcome_stats and Chirp's promotion readiness. Audited. Needs the cases:write scope."""
        deps, who = require(ctx, CASES)
        deps.fox_service.check_visible(who.merchant_id, case_id, who.stores)
        result = deps.fox_service.resolve(
            who.merchant_id, case_id, outcome=outcome, reason=reason, actor=actor(who)
        )
        return safe(result)

    @mcp.tool(annotations=DESTRUCTIVE, tags={WRITE_TAG})
    def dismiss_case(
        ctx: Context,
        case_id: CaseId,
        outcome: Annotated[
            Literal["false_positive", "unactionable"], Field(description="Why it is dismissed.")
        ],
        reason: Reason,
    ) -> TransitionResult:
        """Close an open or in-progress case without action: false_positive or unactionable, with a
        reason (recorded on its detections like resolve_case). reopen_case undoes it. Audited. Needs the
        cases:write scope."""
        deps, who = require(ctx, CASES)
        deps.fox_service.check_visible(who.merchant_id, case_id, who.stores)
        result = deps.fox_service.dismiss(
            who.merchant_id, case_id, outcome=outcome, reason=reason, actor=actor(who)
        )
        return safe(result)

    @mcp.tool(annotations=WRITE, tags={WRITE_TAG})
    def reopen_case(ctx: Context, case_id: CaseId, reason: Reason) -> TransitionResult:
        """Bring a resolved or dismissed case back to open, clearing its outcome (on its detections
        too). New alerts for its bundle join it again. Audited. Needs the cases:write scope."""
        deps, who = require(ctx, CASES)
        deps.fox_service.check_visible(who.merchant_id, case_id, who.stores)
        return safe(deps.fox_service.reopen(who.merchant_id, case_id, reason=reason, actor=actor(who)))
