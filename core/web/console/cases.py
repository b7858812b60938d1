"""The console's case pages: the case list and one case on one screen — its detections, escalations,
evidence with its ledger receipt, the audit trail and notes — and working it (start, note, attach,
resolve, dismiss, reopen), each over ``FoxService`` (``deps.fox_service``, canary-fox's service) with
canary-fox's scopes: ``read`` to look, ``cases:write`` to work a case."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core.cases.domain.model import CaseState, Outcome, Severity
from core.cases.service.service import EVIDENCE_KINDS
from core.web.console.base import PREFIX, Console, PageError, page
from core.web.console.pages import _text

CASE_FILTERS = ("state", "queue", "severity", "store", "employee")
DONE = {
    "start": "Investigation started.",
    "note": "Note added.",
    "attach": "Evidence attached.",
    "resolve": "Case resolved; its outcome is now on each of its detections.",
    "dismiss": "Case dismissed; its outcome is now on each of its detections.",
    "reopen": "Case reopened; the outcome was cleared from its detections.",
}


def _user_error(exc: Exception) -> str | None:
    return str(exc) if getattr(exc, "user_facing", False) else None


@page
def cases(console: Console, request: Request, _form: Mapping[str, Any]) -> Response:
    viewer = console.viewer(request)
    console.require(viewer, "read")
    q = request.query_params
    chosen = {name: _text(q, name) for name in CASE_FILTERS}
    context: dict[str, Any] = {
        "nav": "cases",
        "chosen": chosen,
        "states": [s.value for s in CaseState],
        "severities": [s.value for s in Severity],
        "page": None,
        "message": None,
    }
    try:
        context["page"] = console.deps.fox_service.list_cases(
            viewer.merchant_id,
            state=chosen["state"],
            queue=chosen["queue"],
            min_severity=chosen["severity"],
            location_id=chosen["store"],
            employee_id=chosen["employee"],
            cursor=_text(q, "cursor", 512),
            limit=50,
            stores=viewer.stores,
        )
    except Exception as exc:
        if (message := _user_error(exc)) is None:
            raise
        context["message"] = message
        return console.render("cases.html", viewer, 400, **context)
    kept = {k: v for k, v in chosen.items() if v}
    if context["page"].next_cursor:
        context["older"] = f"{PREFIX}/cases?" + urlencode({**kept, "cursor": context["page"].next_cursor})
    context["filtered"] = bool(kept)
    return console.render("cases.html", viewer, **context)


def _case_page(console: Console, request: Request, status: int = 200, message: str | None = None) -> Response:
    viewer = console.viewer(request)
    console.require(viewer, "read")
    detail = console.deps.fox_service.get_case(
        viewer.merchant_id, request.path_params["case_id"], stores=viewer.stores
    )
    done = DONE.get(request.query_params.get("done", ""))
    return console.render(
        "case.html",
        viewer,
        status,
        nav="cases",
        d=detail,
        c=detail.case,
        message=message or done,
        error=status >= 400,
        outcomes=[o.value for o in Outcome],
        dismiss_outcomes=[Outcome.FALSE_POSITIVE.value, Outcome.UNACTIONABLE.value],
        kinds=list(EVIDENCE_KINDS),
    )


@page
def case(console: Console, request: Request, _form: Mapping[str, Any]) -> Response:
    return _case_page(console, request)


@page
def case_action(console: Console, request: Request, form: Mapping[str, Any]) -> Response:
    viewer = console.writer(request, form, "cases:write")
    action = request.path_params["action"]
    case_id = request.path_params["case_id"]
    service, merchant, actor = console.deps.fox_service, viewer.merchant_id, viewer.actor
    service.check_visible(merchant, case_id, viewer.stores)  # another store's: not found, nothing changes
    service.get_case(merchant, case_id)  # another merchant's (or no) case: not found, nothing changes
    reason = _text(form, "reason", 1_000) or ""
    try:
        if action == "start":
            service.start_investigation(
                merchant, case_id, actor=actor, assignee=_text(form, "assignee", 120), reason=reason
            )
        elif action == "note":
            service.add_note(merchant, case_id, _text(form, "body", 4_000) or "", actor=actor)
        elif action == "attach":
            ref = _text(form, "ref", 128)
            if not ref:
                raise PageError(400, "", "Give the id of what to attach (e.g. a detection id).")
            kind = _text(form, "kind", 32) or ""
            service.attach_evidence(
                merchant, case_id, kind, ref, actor=actor, note=_text(form, "note", 1_000) or ""
            )
        elif action in ("resolve", "dismiss"):
            outcome = _text(form, "outcome", 32) or ""
            close = service.resolve if action == "resolve" else service.dismiss
            close(merchant, case_id, outcome=outcome, reason=reason, actor=actor)
        elif action == "reopen":
            service.reopen(merchant, case_id, reason=reason, actor=actor)
        else:
            raise PageError(404, "Not found", f"No case action {action!r}.")
    except PageError as exc:
        if exc.status == 404:
            raise
        return _case_page(console, request, 400, exc.message)
    except Exception as exc:
        if (message := _user_error(exc)) is None:
            raise
        return _case_page(console, request, 400, f"Nothing changed: {message}")
    return RedirectResponse(f"{PREFIX}/cases/{quote(case_id, safe='')}?done={action}", status_code=303)


@page
def digest(console: Console, request: Request, _form: Mapping[str, Any]) -> Response:
    """canary-fox's case_digest for this period beside the period before's opened, closed and
    confirmed-fraud figures (``FoxService.digest_totals``)."""
    viewer = console.viewer(request)
    console.require(viewer, "read")
    period = request.query_params.get("period", "weekly")
    if period not in ("daily", "weekly"):
        raise PageError(400, "Cannot do that", "The digest is daily or weekly.")
    service = console.deps.fox_service
    current = service.case_digest(viewer.merchant_id, period, stores=viewer.stores)
    previous = service.digest_totals(viewer.merchant_id, period, current.start, stores=viewer.stores)
    return console.render(
        "digest.html", viewer, nav="cases", period=period, current=current, previous=previous
    )
