"""``canary demo``: what ``make demo`` runs (embedded: SQLite + in-process bus, nothing else needed)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from core.cli.errors import friendly
from core.demo.run import render, run_demo
from core.demo.samples import sample_feed

out = Console()


def register(app: typer.Typer) -> None:
    app.command()(demo)


@friendly
def demo(
    var_dir: Path = typer.Option(
        Path("./var/demo"), help="Where the demo's own database and keys go (wiped first)."
    ),
) -> None:
    """Run the embedded end-to-end demo: real signed webhooks through the ingress, polling and batch
    imports, every stage, the ledger verified, and a summary. Exits 1 if anything does not verify."""
    feed = sample_feed()
    out.print(f"[bold]Canary demo[/bold]: {feed.description}")
    summary = run_demo(feed, var_dir, out)
    render(summary, out)
    if not summary.verified or summary.answers.keys() - {200}:
        raise typer.Exit(1)
