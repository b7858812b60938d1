"""``canary detections list`` and ``canary detections show``: what Chirp found, newest first, through
the same service canary-chirp's ``query_detections`` and ``get_detection_detail`` use
(core/rules/service). A table on a wide terminal, one block per detection on a narrow one, or
``--json``."""

from __future__ import annotations

import json
import re
import textwrap
from datetime import UTC, date, datetime, timedelta

import typer
from rich.console import Console
from rich.table import Table

from core.bootstrap import Container
from core.cli.context import known_merchant, load
from core.cli.errors import UsageError, friendly
from core.pipeline.sweeper import merchant_ids
from core.rules.errors import NotFoundError
from core.rules.service.views import DetectionSummary

app = typer.Typer(help="Detections: what the rules found.", no_args_is_help=True)
out = Console()
WIDE = 120  # below this many columns each detection is printed as a block, not a table row
RELATIVE = re.compile(r"^(\d+)([dh])$")


def since_time(text: str, now: datetime) -> datetime:
    """``7d`` / ``24h`` before now, an ISO 8601 date (midnight UTC) or an ISO 8601 time (UTC if naive)."""
    relative = RELATIVE.match(text.strip())
    if relative:
        amount, unit = int(relative.group(1)), relative.group(2)
        return now - (timedelta(days=amount) if unit == "d" else timedelta(hours=amount))
    try:
        if len(text.strip()) == 10:
            return datetime.combine(date.fromisoformat(text.strip()), datetime.min.time(), UTC)
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"--since takes 7d, 24h, a date (2026-03-01) or an ISO 8601 time, not {text!r}"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@app.command("list")
@friendly
def list_detections(
    merchant: str | None = typer.Option(
        None, "--merchant", "-m", help="One merchant (default: every merchant)."
    ),
    rule: str | None = typer.Option(None, "--rule", help="One rule, e.g. Q-VR-03."),
    since: str | None = typer.Option(
        None, "--since", help="Only detections since then: 7d, 24h, 2026-03-01 or an ISO 8601 time."
    ),
    limit: int = typer.Option(50, "--limit", min=1, max=10_000, help="At most this many per merchant."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """List detections newest first (suppressed ones included and marked). `canary rules status`
    says which rules run in which mode."""
    container = load()
    try:
        targets = [known_merchant(container, merchant)] if merchant else merchant_ids(container.db)
        start = since_time(since, container.clock.now()) if since else None
        if rule is not None and rule not in container.chirp_service.catalog.rules:
            raise UsageError(f"no rule {rule!r} in the catalog (see the rule ids in docs/rules.md)")
        found: list[tuple[str, DetectionSummary]] = []
        for merchant_id in targets:
            found += [(merchant_id, d) for d in _page_through(container, merchant_id, rule, start, limit)]
    finally:
        container.close()
    if as_json:
        items = [{"merchant_id": m, **d.model_dump(mode="json")} for m, d in found]
        out.print_json(json.dumps({"merchants": targets, "detections": items}))
        return
    _render(found, len(targets))


def _page_through(
    container: Container, merchant_id: str, rule: str | None, start: datetime | None, limit: int
) -> list[DetectionSummary]:
    items: list[DetectionSummary] = []
    cursor: str | None = None
    while len(items) < limit:
        page = container.chirp_service.query_detections(
            merchant_id, rule_id=rule, start=start, cursor=cursor, limit=min(100, limit - len(items))
        )
        items += page.items
        cursor = page.next_cursor
        if cursor is None:
            break
    return items


def _render(found: list[tuple[str, DetectionSummary]], merchants: int) -> None:
    if not found:
        out.print(f"no detections ({merchants} merchant(s) searched)")
        return
    many = len({m for m, _ in found}) > 1
    if out.width >= WIDE:
        table = Table(
            "when (UTC)", *(["merchant"] if many else []), "rule", "severity", "mode", "id", "summary"
        )
        for m, d in found:
            table.add_row(
                f"{d.occurred_at:%Y-%m-%d %H:%M}",
                *([m] if many else []),
                d.rule_id,
                d.severity,
                d.mode,
                d.detection_id,
                _summary(d),
            )
        out.print(table)
    else:
        for m, d in found:
            head = f"[bold]{d.rule_id}[/bold] {d.severity} · {d.mode} · {d.occurred_at:%Y-%m-%d %H:%M} UTC"
            out.print(head + (f" · {m}" if many else ""), highlight=False)
            out.print(_indented(_summary(d)), highlight=False, markup=False)
            out.print(_indented(f"id {d.detection_id}"), highlight=False, markup=False, style="dim")
    out.print(f"{len(found)} detection(s)", highlight=False)


def _summary(d: DetectionSummary) -> str:
    return f"{d.summary} (suppressed)" if d.suppressed else d.summary


def _indented(text: str) -> str:
    """Wrapped to the terminal with every line indented (rich would wrap back to column 0)."""
    return textwrap.fill(text, width=max(out.width, 40), initial_indent="  ", subsequent_indent="  ")


@app.command("show")
@friendly
def show_detection(
    detection_id: str = typer.Argument(..., help="The detection's id (from `canary detections list`)."),
    merchant: str = typer.Option(..., "--merchant", "-m", help="The merchant the detection belongs to."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """One detection in full: what was measured against which threshold, the subject, the rule and
    config versions it ran under, and the evidence seq to prove with `canary proof export`
    (docs/reading-a-detection.md)."""
    container = load()
    try:
        known_merchant(container, merchant)
        try:
            detail = container.chirp_service.get_detection_detail(merchant, detection_id)
        except NotFoundError as exc:
            raise UsageError(
                f"{exc} for merchant {merchant} (ids come from `canary detections list`)"
            ) from None
    finally:
        container.close()
    if as_json:
        out.print_json(json.dumps(detail.model_dump(mode="json")))
        return
    d = detail.detection
    out.print(f"[bold]{d.rule_id}[/bold] {d.severity} · {d.mode} · queue {d.queue}", highlight=False)
    out.print(_indented(_summary(d)), highlight=False, markup=False)
    facts = [
        ("occurred", f"{d.occurred_at:%Y-%m-%d %H:%M:%S} UTC (detected {detail.detected_at:%Y-%m-%d %H:%M})"),
        ("entity", detail.entity_id or "—"),
        ("employee", d.employee_id or "—"),
        ("customer", d.customer_id or "—"),
        ("location", d.location_id or "—"),
        ("station", d.station_id or "—"),
        ("measured", _pairs(detail.measurements)),
        ("thresholds", _pairs(detail.params)),
        (
            "rule",
            f"v{detail.rule_version}, catalog {detail.catalog_version}, config v{detail.config_version}",
        ),
        (
            "evidence",
            f"seq {detail.evidence_seq} ({detail.event_kind}); a receipt for it: canary proof export "
            f"--merchant {merchant} --event {detail.evidence_seq}",
        ),
        ("alert", d.alert_state + (f", outcome {d.outcome}" if d.outcome else "")),
    ]
    if d.suppressed:
        facts.append(("suppressed", detail.suppression_reason or "yes"))
    for name, value in facts:
        out.print(_indented(f"{name}: {value}"), highlight=False, markup=False)


def _pairs(values: dict[str, object]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(values.items())) or "—"
