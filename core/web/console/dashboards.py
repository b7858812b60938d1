"""The console's dashboards: per store or per employee, the weekly counts of voids, refunds,
discounts, drawer variance and below-margin sales (canary-chirp's detections, grouped by
``ChirpService.detection_trends``) each with a server-rendered SVG sparkline, and "did LP improve
this month against last?" (detections by family, ``ChirpService.family_counts``; cases opened,
closed and the confirmed-fraud rate, ``FoxService.case_totals``). Needs ``read`` (docs/console.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import Response

from core.web.console.base import PREFIX, Console, PageError, page
from core.web.console.pages import _text

WEEKS = (4, 8, 12, 26)
DEFAULT_WEEKS = 8
MAX_ROWS = 50
WIDTH, HEIGHT, PAD = 120, 28, 2


def sparkline(counts: Sequence[int], label: str) -> Markup:
    """An inline SVG polyline of ``counts`` (oldest first), with a <title> and the figures as text
    for screen readers, so nothing depends on seeing the line or its colour."""
    top = max(counts, default=0) or 1
    step = (WIDTH - 2 * PAD) / max(len(counts) - 1, 1)
    span = HEIGHT - 2 * PAD
    points = " ".join(
        f"{PAD + i * step:.1f},{HEIGHT - PAD - span * n / top:.1f}" for i, n in enumerate(counts)
    )
    figures = ", ".join(str(n) for n in counts)
    title = escape(f"{label}: {figures} (oldest week first)")
    last = counts[-1] if counts else 0
    lx = PAD + (len(counts) - 1) * step
    ly = HEIGHT - PAD - span * last / top
    # Only numbers and the escaped title are interpolated.
    return Markup(  # noqa: S704
        f'<svg class="spark" role="img" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}">'
        f"<title>{title}</title>"
        f'<polyline fill="none" stroke="currentColor" stroke-width="1.5" points="{points}"/>'
        f'<circle cx="{lx:.1f}" cy="{ly:.1f}" r="2" fill="currentColor"/></svg>'
    )


def _month_start(at: datetime) -> datetime:
    return datetime(at.year, at.month, 1, tzinfo=UTC)


def _previous_month(start: datetime) -> datetime:
    if start.month == 1:
        return datetime(start.year - 1, 12, 1, tzinfo=UTC)
    return start.replace(month=start.month - 1)


@page
def dashboard(console: Console, request: Request, _form: Mapping[str, Any]) -> Response:
    viewer = console.viewer(request)
    console.require(viewer, "read")
    q = request.query_params
    by = _text(q, "by", 16) or "store"
    if by not in ("store", "employee"):
        raise PageError(400, "Cannot do that", "The dashboard is by store or by employee.")
    raw_weeks = _text(q, "weeks", 4) or str(DEFAULT_WEEKS)
    if not raw_weeks.isdigit() or int(raw_weeks) not in WEEKS:
        raise PageError(400, "Cannot do that", f"'weeks' must be one of {', '.join(map(str, WEEKS))}.")
    weeks = int(raw_weeks)
    only = _text(q, "key", 160)
    now = console.now()
    rules = console.deps.chirp_service
    until = now + timedelta(seconds=1)  # what happened at this very second counts too
    this_start = _month_start(now)
    last_start = _previous_month(this_start)
    # The weekly trends and the two months' families from one pass over the detections.
    report, (last_families, this_families) = rules.dashboard(
        viewer.merchant_id,
        by=by,
        weeks=weeks,
        end=now,
        spans=[last_start, this_start, until],
        stores=viewer.stores,
    )
    measures = list(report.measures)
    rows: dict[str | None, dict[str, Any]] = {}
    for s in report.series:
        if only is not None and s.key != only:
            continue
        row = rows.setdefault(s.key, {"key": s.key, "total": 0, "cells": {}})
        row["cells"][s.measure] = s
        row["total"] += s.total
    ranked = sorted(rows.values(), key=lambda r: (-r["total"], str(r["key"])))
    zeros = [0] * weeks

    def spark(row: dict[str, Any], measure: str) -> tuple[str, int, Markup]:
        cell = row["cells"].get(measure)
        label = f"{measure}, {row['key'] or 'none'}"
        return measure, cell.total if cell else 0, sparkline(cell.counts if cell else zeros, label)

    def link(path: str, **params: Any) -> str | None:
        return f"{PREFIX}/{path}?" + urlencode(params) if params.get("key", params.get(by)) else None

    table = [
        {
            **r,
            "link": link("dashboard", by=by, weeks=weeks, key=r["key"]),
            "detections": link("detections", **{by: r["key"]}),
            "sparks": [spark(r, m) for m in measures],
        }
        for r in ranked[:MAX_ROWS]
    ]
    families = sorted(set(last_families.counts) | set(this_families.counts))
    cases = console.deps.fox_service
    this_cases = cases.case_totals(viewer.merchant_id, this_start, until, stores=viewer.stores)
    last_cases = cases.case_totals(viewer.merchant_id, last_start, this_start, stores=viewer.stores)
    return console.render(
        "dashboard.html",
        viewer,
        nav="dashboard",
        by=by,
        weeks=weeks,
        week_choices=WEEKS,
        key=only,
        report=report,
        measures=measures,
        table=table,
        more=max(len(ranked) - MAX_ROWS, 0),
        now=now,
        this_start=this_start,
        last_start=last_start,
        this_families=this_families.counts,
        last_families=last_families.counts,
        families=families,
        this_cases=this_cases,
        last_cases=last_cases,
    )
