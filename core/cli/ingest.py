"""``canary ingest failures``: the events parsing failed on or ignored, grouped by why, with counts and
example seqs (core/pipeline/ingest_report.py reads them from ``ingestion_log``)."""

from __future__ import annotations

import json
import textwrap

import typer
from rich.console import Console
from rich.table import Table

from core.cli.context import known_merchant, load
from core.cli.errors import UsageError, friendly
from core.pipeline.ingest_report import VERDICTS, IngestGroup, ingest_failures
from core.pipeline.sweeper import merchant_ids

app = typer.Typer(help="Ingestion: what parsing could not use, and why.", no_args_is_help=True)
out = Console()
WIDE = 120  # below this many columns each group is printed as a block, not a table row


@app.command()
@friendly
def failures(
    merchant: str | None = typer.Option(
        None, "--merchant", "-m", help="One merchant (default: every merchant)."
    ),
    status: str = typer.Option("all", "--status", help="failed, ignored or all."),
    examples: int = typer.Option(3, "--examples", min=0, max=50, help="Example seqs per group."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Parse failures and ignored events by verdict, source, event type and reason, with a count and
    example seqs. After a parser fix, `canary replay --failed` parses the failed ones again."""
    if status not in (*VERDICTS, "all"):
        raise UsageError(f"--status takes failed, ignored or all, not {status!r}")
    chosen = VERDICTS if status == "all" else (status,)
    container = load()
    try:
        targets = [known_merchant(container, merchant)] if merchant else merchant_ids(container.db)
        groups = [
            g for m in targets for g in ingest_failures(container.db, m, statuses=chosen, examples=examples)
        ]
    finally:
        container.close()
    if as_json:
        out.print_json(json.dumps({"merchants": targets, "groups": [_json(g) for g in groups]}))
        return
    _render(groups, len(targets))


def _json(g: IngestGroup) -> dict[str, object]:
    return {
        "merchant_id": g.merchant_id,
        "status": g.status,
        "source": g.source,
        "event_type": g.event_type,
        "reason": g.reason,
        "error_field": g.error_field,
        "count": g.count,
        "examples": g.examples,
        "last_at": g.last_at.isoformat() if g.last_at else None,
    }


def _why(g: IngestGroup) -> str:
    reason = g.reason or "(no reason recorded)"
    return f"{reason} [field {g.error_field}]" if g.error_field else reason


def _render(groups: list[IngestGroup], merchants: int) -> None:
    if not groups:
        out.print(f"nothing failed or ignored ({merchants} merchant(s) searched)")
        return
    many = len({g.merchant_id for g in groups}) > 1
    if out.width >= WIDE:
        table = Table(
            *(["merchant"] if many else []), "status", "source", "event type", "count", "why", "e.g. seq"
        )
        for g in groups:
            table.add_row(
                *([g.merchant_id] if many else []),
                "[red]failed[/red]" if g.status == "failed" else g.status,
                g.source,
                g.event_type or "—",
                str(g.count),
                _why(g),
                " ".join(map(str, g.examples)),
            )
        out.print(table)
    else:
        for g in groups:
            where = f" · {g.merchant_id}" if many else ""
            colour = "red" if g.status == "failed" else "yellow"
            out.print(
                f"[{colour}]{g.status}[/{colour}] ×{g.count} · {g.source} {g.event_type or '—'}{where}",
                highlight=False,
            )
            out.print(_indented(_why(g)), highlight=False, markup=False)
            if g.examples:
                seqs = f"e.g. seq {' '.join(map(str, g.examples))} (canary replay --event SEQ)"
                out.print(_indented(seqs), highlight=False, markup=False, style="dim")
    failed = sum(g.count for g in groups if g.status == "failed")
    ignored = sum(g.count for g in groups if g.status == "ignored")
    out.print(f"{failed} failed, {ignored} ignored", highlight=False)


def _indented(text: str) -> str:
    """Wrapped to the terminal with every line indented (rich would wrap back to column 0)."""
    return textwrap.fill(text, width=max(out.width, 40), initial_indent="  ", subsequent_indent="  ")
