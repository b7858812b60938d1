"""``canary demo``: what ``make demo`` runs (embedded: SQLite + in-process bus, nothing else needed)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from core.cli.errors import friendly
from core.demo.run import DemoWorld, run_demo
from core.demo.summary import render

out = Console()
DEFAULT = DemoWorld()


def register(app: typer.Typer) -> None:
    app.command()(demo)


@friendly
def demo(
    var_dir: Path = typer.Option(
        Path("./var/demo"), help="Where the demo's own database, keys and world go (wiped first)."
    ),
    seed: int = typer.Option(DEFAULT.seed, help="Simulator seed."),
    stores: int = typer.Option(
        DEFAULT.stores, min=2, max=20, help="Stores (alternating Square, Counterpoint)."
    ),
    days: int = typer.Option(DEFAULT.days, min=1, max=400, help="Days of trading."),
    vertical: str = typer.Option(DEFAULT.vertical, help="garden or retail."),
) -> None:
    """Run the embedded end-to-end demo on a simulated merchant: signed webhooks through the ingress,
    drawers polled, Counterpoint exports imported, every stage, the ledger verified, detections
    matched to the simulator's labels. Exits 1 if anything does not verify."""
    spec = DemoWorld(seed=seed, stores=stores, days=days, vertical=vertical)
    out.print(f"[bold]Canary demo[/bold]: a simulated {spec.describe()}")
    summary = run_demo(spec, var_dir, out)
    render(summary, out)
    if not summary.ok:
        raise typer.Exit(1)
