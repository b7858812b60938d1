"""``canary simulate``: write a deterministic retail world, with labelled loss scenarios, as the vendors
would send it (docs/simulator.md)."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from core.cli.errors import UsageError, friendly
from core.cli.progress import counted, progress
from core.simulate import OutputDirectoryError, build_world, stream, write

out = Console(stderr=True)


def register(app: typer.Typer) -> None:
    app.command()(simulate)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--start takes a date as YYYY-MM-DD, not {text!r}") from None


@friendly
def simulate(
    out_dir: Path = typer.Option(..., "--out", help="Directory to write into (must be empty; see --force)."),
    seed: int = typer.Option(1, "--seed", help="Same seed, same bytes."),
    stores: int = typer.Option(
        2, "--stores", min=1, max=20, metavar="<int>", help="How many stores, 1 to 20."
    ),
    days: int = typer.Option(
        30, "--days", min=1, max=400, metavar="<int>", help="How many days of trading, 1 to 400."
    ),
    vertical: str = typer.Option("garden", "--vertical", help="garden (spring peak, live goods) or retail."),
    start: str = typer.Option("2026-03-01", "--start", help="First trading day (store-local), YYYY-MM-DD."),
    vendors: str = typer.Option(
        "mixed", "--vendors", help="mixed (Square and Counterpoint stores alternate), square or counterpoint."
    ),
    cp_tickets: str = typer.Option(
        "document",
        "--cp-tickets",
        help="Counterpoint tickets as GET /Document responses (document) or as "
        "posted PS_TKT_HIST export rows (history).",
    ),
    notification_url: str | None = typer.Option(
        None,
        "--notification-url",
        help="The URL webhooks are signed for (default: http://127.0.0.1:8000 with the path "
        "/webhooks/square and the query merchant=sim-<seed>, where `canary serve` takes them).",
    ),
    force: bool = typer.Option(False, "--force", help="Replace a previous simulator run in --out."),
) -> None:
    """Generate a merchant world and write Square webhooks and API pages, Counterpoint documents and
    exports, and labels.jsonl (the injected scenarios' ground truth) under --out."""
    began = time.perf_counter()
    try:
        world = build_world(
            seed, stores, days, vertical, _date(start), vendors=vendors, notification_url=notification_url
        )
        # stream yields the reference data, the history before day 1, each day, then the rest
        with progress(out) as bar:
            chunks = counted(bar, stream(world, ticket_format=cp_tickets), "simulating", total=days + 3)
            write(chunks, out_dir, overwrite=force)
    except (ValueError, OutputDirectoryError) as exc:
        raise UsageError(str(exc)) from None
    manifest = json.loads((out_dir / "manifest.json").read_text())
    table = Table(
        "what", "count", title=f"simulated {stores} store(s) x {days} days ({vertical}, seed {seed})"
    )
    for name, count in manifest["counts"].items():
        table.add_row(name, str(count))
    out.print(table)
    if manifest["skipped_scenarios"]:
        out.print(f"skipped (no eligible store): {', '.join(manifest['skipped_scenarios'])}")
    out.print(f"wrote {out_dir} in {time.perf_counter() - began:.1f} s")
