"""The console's pages: Today, Detections (list and detail), Rules (catalog, one rule, its mode) and
Customers — each over the service behind the matching MCP tools (``deps.chirp_service`` is canary-chirp's
``ChirpService``, ``deps.identity`` canary-identity's ``IdentityService``), with the same scopes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core.customers.errors import CustomerNotFoundError
from core.rules.model import Family, Mode
from core.rules.packs import PACKS
from core.web.console.base import PREFIX, Console, PageError, page

FILTERS = ("rule", "family", "store", "employee", "from", "to")
OUTCOME_WINDOW = timedelta(days=90)


def _outcome_stats(
    console: Console, merchant_id: str, stores: frozenset[str] | None, rule_id: str | None = None
) -> dict[str, Any]:
    """canary-fox's rule_outcome_stats over the last 90 days, by rule (a GM's: its stores' alerts)."""
    now = console.now()
    report = console.deps.fox_service.rule_outcome_stats(
        merchant_id, now - OUTCOME_WINDOW, now + timedelta(seconds=1), rule_id, stores=stores
    )
    return {r.rule_id: r for r in report.rules}


def _text(form: Mapping[str, Any], name: str, limit: int = 128) -> str | None:
    value = form.get(name)
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    if len(value) > limit:
        raise PageError(400, "Cannot do that", f"'{name}' is too long (at most {limit} characters).")
    return value


def _day(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PageError(400, "Cannot do that", f"'{name}' must be a date like 2026-11-30.") from None


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str, ensure_ascii=False)


@page
def today(console: Console, request: Request, _form: Mapping[str, Any]) -> Response:
    viewer = console.viewer(request)
    console.require(viewer, "read")
    now = console.now()
    since = now - timedelta(days=1)
    rules = console.deps.chirp_service
    recent = rules.query_detections(
        viewer.merchant_id, start=since, include_suppressed=False, limit=20, stores=viewer.stores
    )
    card = rules.substrate_scorecard(viewer.merchant_id)
    catalog = rules.list_rules(viewer.merchant_id)
    top = console.deps.fox_service.top_cases(viewer.merchant_id, queue=None, limit=10, stores=viewer.stores)
    modes: dict[str, int] = {}
    for r in catalog.items:
        modes[r.mode] = modes.get(r.mode, 0) + 1
    return console.render(
        "today.html",
        viewer,
        nav="today",
        now=now,
        since=since,
        recent=recent,
        since_link=f"{PREFIX}/detections?" + urlencode({"from": since.date().isoformat()}),
        stale=[e for e in card.entities if e.stale],
        entities=card.entities,
        not_applicable=[r for r in card.rules if r.status == "not_applicable"],
        card=card,
        modes=modes,
        top_cases=top.items,
    )


@page
def detections(console: Console, request: Request, _form: Mapping[str, Any]) -> Response:
    viewer = console.viewer(request)
    console.require(viewer, "read")
    q = request.query_params
    chosen = {name: _text(q, name) for name in FILTERS}
    catalog = console.deps.chirp_service.catalog
    families = [f.value for f in Family]
    rule_ids = sorted(catalog.rules)
    context: dict[str, Any] = {
        "nav": "detections",
        "chosen": chosen,
        "families": families,
        "rule_ids": rule_ids,
        "page": None,
        "message": None,
    }
    try:
        if chosen["rule"] and chosen["rule"] not in catalog.rules:
            raise PageError(400, "", f"No rule {chosen['rule']!r}: pick one from the list.")
        if chosen["family"] and chosen["family"] not in families:
            raise PageError(400, "", f"No family {chosen['family']!r}: pick one from the list.")
        first, last = _day(chosen["from"], "from"), _day(chosen["to"], "to")
        if first and last and last < first:
            raise PageError(400, "", "'to' is before 'from': swap them.")
        context["page"] = console.deps.chirp_service.query_detections(
            viewer.merchant_id,
            rule_id=chosen["rule"],
            family=chosen["family"],
            location_id=chosen["store"],
            employee_id=chosen["employee"],
            start=datetime.combine(first, time(), UTC) if first else None,
            end=datetime.combine(last + timedelta(days=1), time(), UTC) if last else None,
            cursor=_text(q, "cursor", 512),
            limit=50,
            stores=viewer.stores,
        )
    except PageError as exc:
        context["message"] = exc.message
        return console.render("detections.html", viewer, 400, **context)
    except Exception as exc:
        if not getattr(exc, "user_facing", False):
            raise
        context["message"] = str(exc)
        return console.render("detections.html", viewer, 400, **context)
    kept = {k: v for k, v in chosen.items() if v}
    if context["page"].next_cursor:
        context["older"] = f"{PREFIX}/detections?" + urlencode(
            {**kept, "cursor": context["page"].next_cursor}
        )
    context["filtered"] = bool(kept)
    return console.render("detections.html", viewer, **context)


@page
def detection(console: Console, request: Request, _form: Mapping[str, Any]) -> Response:
    viewer = console.viewer(request)
    console.require(viewer, "read")
    detail = console.deps.chirp_service.get_detection_detail(
        viewer.merchant_id, request.path_params["detection_id"], stores=viewer.stores
    )
    return console.render(
        "detection.html",
        viewer,
        nav="detections",
        d=detail,
        s=detail.detection,
        measurements=_pretty(detail.measurements),
        params=_pretty(detail.params),
        snapshot=_pretty(detail.snapshot),
        subject=_pretty(detail.subject),
    )


@page
def rules(console: Console, request: Request, _form: Mapping[str, Any]) -> Response:
    viewer = console.viewer(request)
    console.require(viewer, "read")
    family = _text(request.query_params, "family")
    families = [f.value for f in Family]
    if family and family not in families:
        raise PageError(400, "Cannot do that", f"No family {family!r}: choose one of {', '.join(families)}.")
    listing = console.deps.chirp_service.list_rules(viewer.merchant_id, family)
    card = console.deps.chirp_service.substrate_scorecard(viewer.merchant_id)
    return console.render(
        "rules.html",
        viewer,
        nav="rules",
        listing=listing,
        applicability={r.rule_id: r for r in card.rules},
        stats=_outcome_stats(console, viewer.merchant_id, viewer.stores),
        rollout=console.deps.chirp_service.deployment_status(viewer.merchant_id),
        families=families,
        family=family,
    )


def _rule_page(
    console: Console, request: Request, status: int = 200, message: str | None = None, **extra: Any
) -> Response:
    viewer = console.viewer(request)
    console.require(viewer, "read")
    rule_id = request.path_params["rule_id"]
    if rule_id not in console.deps.chirp_service.catalog.rules:
        raise PageError(404, "Not found", f"No rule {rule_id!r} in the catalog; see the Rules page for ids.")
    detail = console.deps.chirp_service.get_rule(viewer.merchant_id, rule_id)
    card = console.deps.chirp_service.substrate_scorecard(viewer.merchant_id)
    applicability = next((r for r in card.rules if r.rule_id == rule_id), None)
    return console.render(
        "rule.html",
        viewer,
        status,
        nav="rules",
        r=detail,
        applicability=applicability,
        stats=_outcome_stats(console, viewer.merchant_id, viewer.stores, rule_id).get(rule_id),
        now=console.now(),
        modes=[m.value for m in Mode],
        message=message,
        error=status >= 400,
        preview_days=PREVIEW_DAYS,
        **extra,
    )


@page
def rule(console: Console, request: Request, _form: Mapping[str, Any]) -> Response:
    return _rule_page(console, request)


@page
def rule_mode(console: Console, request: Request, form: Mapping[str, Any]) -> Response:
    """Promote or demote a rule with a reason: canary-chirp's promote_rule (rules:write)."""
    viewer = console.writer(request, form, "rules:write")
    rule_id = request.path_params["rule_id"]
    if rule_id not in console.deps.chirp_service.catalog.rules:
        raise PageError(404, "Not found", f"No rule {rule_id!r} in the catalog; see the Rules page for ids.")
    mode = _text(form, "mode", 32)
    reason = _text(form, "reason", 500)
    if mode not in {m.value for m in Mode}:
        return _rule_page(console, request, 400, "Choose a mode: dry_run, observation or alerting.")
    if not reason:
        return _rule_page(console, request, 400, "Give a reason: it goes in the audit log.")
    try:
        result = console.deps.chirp_service.promote_rule(
            viewer.merchant_id,
            rule_id,
            mode,
            actor=viewer.actor,
            reason=reason,
            force=form.get("force") == "yes",
        )
    except Exception as exc:
        if not getattr(exc, "user_facing", False):
            raise
        return _rule_page(console, request, 400, f"Nothing changed: {exc}.")
    if result.applied:
        message = f"{rule_id} is now in {result.to_mode} (was {result.from_mode})."
    elif result.from_mode == result.to_mode:
        message = f"{rule_id} is already in {result.to_mode}; nothing changed."
    else:
        reasons = "; ".join(result.readiness.reasons) if result.readiness else "the readiness check failed"
        message = (
            f"Not promoted: {reasons}. Fix these, or tick 'promote anyway' once someone has accepted them."
        )
    return _rule_page(console, request, 200, message)


@page
def customers(console: Console, request: Request, _form: Mapping[str, Any]) -> Response:
    viewer = console.viewer(request)
    console.require(viewer, "read")
    wanted = _text(request.query_params, "customer")
    message = None
    if wanted:
        found = console.deps.identity.lookup_customer(viewer.merchant_id, wanted, stores=viewer.stores)
        if found.found and found.customer:
            return RedirectResponse(
                f"{PREFIX}/customers/{quote(found.customer.customer_id, safe='')}", status_code=303
            )
        message = found.message
    return console.render(
        "customers.html", viewer, 404 if message else 200, nav="customers", wanted=wanted, message=message
    )


@page
def customer(console: Console, request: Request, _form: Mapping[str, Any]) -> Response:
    viewer = console.viewer(request)
    console.require(viewer, "read")
    customer_id = request.path_params["customer_id"]
    identity = console.deps.identity
    found = identity.lookup_customer(viewer.merchant_id, customer_id, stores=viewer.stores)
    if not found.found or found.customer is None:
        raise CustomerNotFoundError(found.message)
    summary = found.customer
    stores = viewer.stores  # a GM's: the customer's figures and history at those stores only
    metrics = identity.customer_metrics(viewer.merchant_id, summary.customer_id, stores=stores)
    # A segment is counted over every visit to every store, so a store-limited sign-in gets none.
    segment = (
        None
        if stores is not None
        else identity.customer_segments(viewer.merchant_id, customer=summary.customer_id, limit=1)
    )
    history = identity.customer_history(viewer.merchant_id, summary.customer_id, limit=20, stores=stores)
    complaints = identity.customer_complaints(
        viewer.merchant_id, customer=summary.customer_id, limit=1, stores=stores
    )
    return console.render(
        "customer.html",
        viewer,
        nav="customers",
        c=summary,
        metrics=metrics,
        segment=segment.customer_segment if segment else None,
        limited=stores is not None,
        history=history,
        complaints=complaints.customers[0] if complaints.customers else None,
    )


def _form_value(console: Console, rule_id: str, name: str, raw: str) -> Any:
    """A parameter value typed in a form, in the parameter's type (``ParameterError`` says why not)."""
    parameter = console.deps.chirp_service.catalog.get(rule_id).parameter(name)
    kind = parameter.kind
    text = raw.strip()
    value: Any = text
    if kind == "bool":
        value = {"true": True, "yes": True, "false": False, "no": False}.get(text.lower(), text)
    elif kind == "list":
        value = [part.strip() for part in text.split(",") if part.strip()]
    elif kind in ("int", "float"):
        try:
            value = float(text) if kind == "float" or "." in text else int(text)
        except ValueError:
            value = text  # coerce() names the parameter and says it takes a number
    return parameter.coerce(value) if kind != "list" else list(parameter.coerce(value))


PREVIEW_DAYS = (7, 14, 30, 90)


@page
def rule_preview(console: Console, request: Request, form: Mapping[str, Any]) -> Response:
    """canary-chirp's dry_run_rule twice over the last N days, current values against the proposed
    one: writes nothing, so it needs only ``read`` (as the tool does)."""
    viewer = console.writer(request, form, "read")
    rule_id = request.path_params["rule_id"]
    if rule_id not in console.deps.chirp_service.catalog.rules:
        raise PageError(404, "Not found", f"No rule {rule_id!r} in the catalog; see the Rules page for ids.")
    name, raw = _text(form, "parameter", 64) or "", _text(form, "value", 500) or ""
    days = int(form.get("days", "14")) if str(form.get("days", "14")).isdigit() else 0
    if days not in PREVIEW_DAYS:
        return _rule_page(console, request, 400, f"Preview over {', '.join(map(str, PREVIEW_DAYS))} days.")
    try:
        value = _form_value(console, rule_id, name, raw)
        end = console.now()
        start = end - timedelta(days=days)
        rules = console.deps.chirp_service
        current = rules.dry_run_rule(viewer.merchant_id, rule_id, start, end, sample=0)
        proposed = rules.dry_run_rule(viewer.merchant_id, rule_id, start, end, {name: value}, sample=0)
    except Exception as exc:
        if not getattr(exc, "user_facing", False):
            raise
        return _rule_page(console, request, 400, f"No preview: {exc}.")
    return _rule_page(
        console,
        request,
        200,
        preview={"parameter": name, "value": raw, "days": days, "current": current, "proposed": proposed},
    )


@page
def rule_tune(console: Console, request: Request, form: Mapping[str, Any]) -> Response:
    """canary-chirp's tune_rule_threshold (rules:write), with a reason."""
    viewer = console.writer(request, form, "rules:write")
    rule_id = request.path_params["rule_id"]
    if rule_id not in console.deps.chirp_service.catalog.rules:
        raise PageError(404, "Not found", f"No rule {rule_id!r} in the catalog; see the Rules page for ids.")
    name, raw = _text(form, "parameter", 64) or "", _text(form, "value", 500) or ""
    try:
        value = _form_value(console, rule_id, name, raw)
        done = console.deps.chirp_service.tune_rule_threshold(
            viewer.merchant_id,
            rule_id,
            name,
            value,
            actor=viewer.actor,
            reason=_text(form, "reason", 500) or "",
        )
    except Exception as exc:
        if not getattr(exc, "user_facing", False):
            raise
        return _rule_page(console, request, 400, f"Nothing changed: {exc}.")
    return _rule_page(
        console, request, 200, f"{name}: {done.before} → {done.after} (config v{done.config_version})."
    )


@page
def allow_add(console: Console, request: Request, form: Mapping[str, Any]) -> Response:
    """canary-chirp's add_allow_list_entry (rules:write): one scope, a reason and an expiry."""
    viewer = console.writer(request, form, "rules:write")
    rule_id = request.path_params["rule_id"]
    if rule_id not in console.deps.chirp_service.catalog.rules:
        raise PageError(404, "Not found", f"No rule {rule_id!r} in the catalog; see the Rules page for ids.")
    key, value = _text(form, "scope", 32) or "", _text(form, "scope_value", 200) or ""
    days = str(form.get("days", ""))
    rules = console.deps.chirp_service
    if not days.isdigit() or not 1 <= int(days) <= rules.configuration.max_allow_days:
        return _rule_page(
            console, request, 400, f"Expire it in 1 to {rules.configuration.max_allow_days} days."
        )
    try:
        entry = rules.add_allow_list_entry(
            viewer.merchant_id,
            rule_id,
            {key: value},
            reason=_text(form, "reason", 500) or "",
            expires_at=console.now() + timedelta(days=int(days)),
            actor=viewer.actor,
        )
    except Exception as exc:
        if not getattr(exc, "user_facing", False):
            raise
        return _rule_page(console, request, 400, f"Nothing changed: {exc}.")
    return _rule_page(
        console,
        request,
        200,
        f"Allow-list entry {entry.entry_id} added; it expires {entry.expires_at:%Y-%m-%d}.",
    )


@page
def allow_revoke(console: Console, request: Request, form: Mapping[str, Any]) -> Response:
    """canary-chirp's revoke_allow_list_entry (rules:write); another merchant's entry is not found."""
    viewer = console.writer(request, form, "rules:write")
    rule_id = request.path_params["rule_id"]
    entry_id = request.path_params["entry_id"]
    rules = console.deps.chirp_service
    if entry_id not in {e.entry_id for e in rules.list_allow_list_entries(viewer.merchant_id, rule_id)}:
        raise PageError(404, "Not found", f"No allow-list entry {entry_id!r} on {rule_id} for this merchant.")
    try:
        rules.revoke_allow_list_entry(
            viewer.merchant_id, entry_id, actor=viewer.actor, reason=_text(form, "reason", 500) or ""
        )
    except Exception as exc:
        if not getattr(exc, "user_facing", False):
            raise
        return _rule_page(console, request, 400, f"Nothing changed: {exc}.")
    return _rule_page(console, request, 200, f"Allow-list entry {entry_id} revoked.")


def _pack_page(console: Console, request: Request, status: int = 200, message: str | None = None) -> Response:
    viewer = console.viewer(request)
    console.require(viewer, "read")
    pack_id = request.path_params["pack_id"]
    if pack_id not in PACKS:
        raise PageError(404, "Not found", f"No vertical pack {pack_id!r}: there is {', '.join(PACKS)}.")
    preview = console.deps.chirp_service.preview_vertical_pack(viewer.merchant_id, pack_id)
    return console.render(
        "pack.html", viewer, status, nav="rules", p=preview, message=message, error=status >= 400
    )


@page
def pack(console: Console, request: Request, _form: Mapping[str, Any]) -> Response:
    """canary-chirp's preview_vertical_pack: exactly what the pack would change (read)."""
    return _pack_page(console, request)


@page
def pack_apply(console: Console, request: Request, form: Mapping[str, Any]) -> Response:
    """canary-chirp's apply_vertical_pack (rules:write), with a reason."""
    viewer = console.writer(request, form, "rules:write")
    pack_id = request.path_params["pack_id"]
    if pack_id not in PACKS:
        raise PageError(404, "Not found", f"No vertical pack {pack_id!r}: there is {', '.join(PACKS)}.")
    try:
        done = console.deps.chirp_service.apply_vertical_pack(
            viewer.merchant_id,
            pack_id,
            actor=viewer.actor,
            reason=_text(form, "reason", 500) or "",
            reapply=form.get("reapply") == "yes",
        )
    except Exception as exc:
        if not getattr(exc, "user_facing", False):
            raise
        return _pack_page(console, request, 400, f"Nothing changed: {exc}.")
    return _pack_page(
        console, request, 200, f"{pack_id} v{done.pack_version} applied ({len(done.changes)} change(s))."
    )
