"""``canary rebuild fox``: recompute Fox's cases from the detections table (docs/fox.md)."""

from __future__ import annotations

import typer
from rich.console import Console

from core.cli.context import known_merchant, load
from core.cli.customers import rebuild_app
from core.cli.errors import friendly

err = Console(stderr=True)


@rebuild_app.command("fox")
@friendly
def rebuild_fox(
    merchant: str | None = typer.Option(None, help="One merchant (default: every merchant)."),
) -> None:
    """Recompute every case from the detections Chirp published as alerts, keeping the analysts'
    decisions by case id; the cases are identical to what the live `fox` consumer holds."""
    from core.cases.service.consumer import rebuild
    from core.pipeline.sweeper import merchant_ids

    container = load()
    try:
        targets = [known_merchant(container, merchant)] if merchant else merchant_ids(container.db)
        for merchant_id in targets:
            summary = rebuild(container.db, merchant_id, container.clock)
            err.print(
                f"[green]✓[/green] {merchant_id}: {summary.cases} cases from {summary.alerts} alerts "
                f"({summary.informational} informational, no case)"
            )
    finally:
        container.close()
